import { spawn, spawnSync } from 'node:child_process';
import { EXIT_USAGE } from '../../src/exit-codes.js';
import { nonLoopbackInterfaces } from './isolation.js';

const INSIDE_ENV = 'CHAINMEDIC_LOOPBACK_NETNS';

/**
 * Runs `body` inside a loopback-only network namespace: at once when this process is already in one, else by
 * re-running this very command line under `unshare --net` (root only) and passing its exit status on.
 */
export async function runIsolated(body: () => Promise<void>): Promise<void> {
  if (nonLoopbackInterfaces().length === 0) {
    if (process.env[INSIDE_ENV]) spawnSync('/usr/sbin/ip', ['link', 'set', 'lo', 'up'], { stdio: 'inherit' });
    return body();
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('chainmedic: needs root to make its own network namespace (unshare --net)\n');
    process.exitCode = EXIT_USAGE;
    return;
  }
  const child = spawn('/usr/bin/unshare', ['--net', '--', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [INSIDE_ENV]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  process.exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
