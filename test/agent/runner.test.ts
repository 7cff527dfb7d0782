import { processRunner } from '../../src/agent/runner.js';

describe('processRunner', () => {
  const run = processRunner();

  it('reports the exit code and output of a command', async () => {
    const result = await run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('never interprets its arguments through a shell', async () => {
    const result = await run(['echo', '$(id); reboot']);
    expect(result.stdout).toBe('$(id); reboot\n');
  });

  it('says not-found for a binary that is not on PATH', async () => {
    const result = await run(['chainmedic-no-such-binary']);
    expect(result.failure).toBe('not-found');
    expect(result.exitCode).toBeNull();
  });

  it('kills a command that runs past its timeout', async () => {
    const result = await run(['sleep', '10'], { timeoutMs: 100 });
    expect(result.failure).toBe('timeout');
  });

  it('on timeout also kills what the command forked, which would otherwise hold its output open', async () => {
    // Without the group kill, the backgrounded sleep keeps stdout open and this never settles.
    const result = await run(['sh', '-c', 'sleep 600 & wait'], { timeoutMs: 100 });
    expect(result.failure).toBe('timeout');
  });

  it('runs behind a prefix', async () => {
    const result = await processRunner(['env', 'CHAINMEDIC_X=1'])(['sh', '-c', 'echo $CHAINMEDIC_X']);
    expect(result.stdout).toBe('1\n');
  });
});
