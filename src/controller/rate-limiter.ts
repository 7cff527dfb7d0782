/**
 * Per-key exponential back-off, like client-go's ItemExponentialFailureRateLimiter:
 * the n-th consecutive failure of a key waits base * 2^(n-1), capped at max.
 */
export interface RateLimiter {
  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  when(key: string): number;
  /** Forgets the failures of `key` (after a success). */
  forget(key: string): void;
  numRequeues(key: string): number;
}

export interface ExponentialOptions {
  baseMs?: number;
  maxMs?: number;
}

export const DEFAULT_BASE_DELAY_MS = 5;
export const DEFAULT_MAX_DELAY_MS = 1_000_000;

export function exponentialRateLimiter(options: ExponentialOptions = {}): RateLimiter {
  const base = options.baseMs ?? DEFAULT_BASE_DELAY_MS;
  const max = options.maxMs ?? DEFAULT_MAX_DELAY_MS;
  const failures = new Map<string, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      // 2^n overflows to Infinity for large n, which Math.min caps correctly.
      return Math.min(base * 2 ** n, max);
    },
    forget(key) {
      failures.delete(key);
    },
    numRequeues(key) {
      return failures.get(key) ?? 0;
    },
  };
}
