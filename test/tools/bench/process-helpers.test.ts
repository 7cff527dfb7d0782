import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../../../tools/bench/child-process.js';
import { pickSpread } from '../../../tools/bench/sim-routes.js';
import { pidOfIdentity } from '../../../tools/soak/replicas.js';
import { eventually } from '../../kit/eventually.js';

describe('process helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-child-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a child line, logs its stderr and stops its whole process group', async () => {
    const log = join(dir, 'child.log');
    // The child starts a grandchild in the same group; stop() must end both.
    const script =
      "const { spawn } = require('node:child_process');" +
      "const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });" +
      "console.error('to the log'); console.log('ready ' + g.pid); setInterval(() => {}, 1000);";
    const child = startChild([process.execPath, '-e', script], { logFile: log, pipeStdout: true });
    const line = await child.waitForLine(/^ready \d+$/, 20_000);
    const grandchild = Number(line.split(' ')[1]);
    expect(child.running()).toBe(true);
    const exit = await child.stop(5_000);
    expect(exit.signal).toBe('SIGTERM');
    expect(child.running()).toBe(false);
    expect(readFileSync(log, 'utf8')).toContain('to the log');
    // Gone or a zombie (a container's pid 1 may be slow to reap orphans): either way, not running.
    const running = () => {
      try {
        const stat = readFileSync(`/proc/${grandchild}/stat`, 'utf8');
        return !/^\S+ \(.*\) [ZX]/.test(stat);
      } catch {
        return false;
      }
    };
    await eventually(() => !running(), `grandchild ${grandchild} gone`);
  });

  it('rejects waitForLine when the child exits without printing it', async () => {
    const child = startChild([process.execPath, '-e', 'console.log("something else")'], {
      logFile: join(dir, 'quiet.log'),
      pipeStdout: true,
    });
    await expect(child.waitForLine(/^never$/, 20_000)).rejects.toThrow(/exited/);
  });

  it('spreads a burst over the fleet and takes every node when asked for more', () => {
    const nodes = Array.from({ length: 10 }, (_, i) => `n${i}`);
    expect(pickSpread(nodes, 3)).toEqual(['n0', 'n3', 'n6']);
    expect(pickSpread(nodes, 20)).toEqual(nodes);
  });

  it('finds the pid in a leader identity', () => {
    expect(pidOfIdentity('vm-host-1-4242-ab12cd')).toBe(4242);
    expect(pidOfIdentity(undefined)).toBeUndefined();
    expect(pidOfIdentity('no-pid-here')).toBeUndefined();
  });
});
