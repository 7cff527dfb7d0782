import { startChild, type ManagedChild } from '../bench/child-process.js';

/**
 * Starts a control-plane binary (an argument array) with its output in `logFile`. setpriv makes the kernel
 * kill it when the process that started it dies, however it dies (a jest worker killed with SIGKILL included),
 * so nothing is left listening; the exit hooks of startChild cover the ordinary exits.
 */
export function startBinary(argv: readonly string[], logFile: string): ManagedChild {
  return startChild(['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', ...argv], { logFile });
}

/** Resolves once `check` holds; rejects naming `what` and the log when `child` exits first or time runs out. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  child: ManagedChild,
  logFile: string,
  limitMs: number,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (!child.running()) throw new Error(`control plane: ${what}: the process exited; see ${logFile}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`control plane: ${what} not within ${limitMs} ms; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
