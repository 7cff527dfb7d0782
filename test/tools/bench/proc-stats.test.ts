import {
  parseProcStatTicks,
  parseProcStatus,
  readCpuSeconds,
  readProcMemory,
} from '../../../tools/bench/proc-stats.js';

describe('proc stats', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    const text = 'Name:\tnode\nVmPeak:\t  900 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    expect(parseProcStatus(text)).toEqual({ rssBytes: 102400 * 1024, hwmBytes: 204800 * 1024 });
  });

  it('adds utime and stime even when the command name has spaces and parentheses', () => {
    const text = '42 (node (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 1000 0 0';
    expect(parseProcStatTicks(text)).toBe(325);
  });

  it('rejects text without the fields', () => {
    expect(() => parseProcStatus('Name: x\n')).toThrow(/VmRSS/);
    expect(() => parseProcStatTicks('no name')).toThrow();
  });

  it('reads this very process', () => {
    const memory = readProcMemory(process.pid)!;
    expect(memory.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(memory.hwmBytes).toBeGreaterThanOrEqual(memory.rssBytes);
    expect(readCpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(readProcMemory(0x7fffffff)).toBeUndefined();
  });
});
