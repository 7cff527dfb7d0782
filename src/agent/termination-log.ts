import { existsSync, writeFileSync } from 'node:fs';

/** Where Kubernetes reads a container's termination message by default. */
export const DEFAULT_TERMINATION_LOG = '/dev/termination-log';

/** The explicit path, else the default when it exists (inside a pod), else none. */
export function resolveTerminationLog(explicit: string | undefined): string | null {
  if (explicit !== undefined) return explicit;
  return existsSync(DEFAULT_TERMINATION_LOG) ? DEFAULT_TERMINATION_LOG : null;
}

/** Returns null on success, else a one-line reason. */
export function writeTerminationLog(path: string, text: string): string | null {
  try {
    writeFileSync(path, text);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code ? (e.message.split(',')[0] ?? e.code) : String(err);
  }
}
