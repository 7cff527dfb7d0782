import { isTerminalError } from './terminal.js';
import type { WorkQueue } from './work-queue.js';

/** What a reconcile asks for after a successful pass. */
export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds (level-triggered polling of slow state). */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | void>;

export interface WorkersHandle {
  /** Resolves when every worker has finished its current key after the queue was shut down. */
  stopped: Promise<void>;
}

/**
 * Runs `count` workers that take keys from `queue` and reconcile them, one reconcile per key at a time
 * (the queue guarantees it). An error retries the key with per-key exponential back-off, unless it says it is
 * terminal (src/controller/terminal.ts): then the key is dropped until something adds it again. A success
 * forgets the key's failures and honours `requeueAfterMs`.
 */
export function runWorkers(
  queue: WorkQueue,
  count: number,
  reconcile: Reconciler,
  onError: (key: string, err: unknown) => void = () => {},
): WorkersHandle {
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await reconcile(key);
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        onError(key, err);
        if (isTerminalError(err)) queue.forget(key);
        else queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, count) }, () => worker());
  return { stopped: Promise.all(workers).then(() => undefined) };
}
