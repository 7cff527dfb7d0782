/** kubelet's container restart back-off: 10 s, doubling, capped at 5 minutes (simulated milliseconds). */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

/** The back-off before restart number `crashes` (1 = after the first crash). */
export function backoffAfterCrash(crashes: number): number {
  if (crashes < 1) return 0;
  const exponent = Math.min(crashes - 1, 30);
  return Math.min(BACKOFF_INITIAL_MS * 2 ** exponent, BACKOFF_MAX_MS);
}

/** How kubelet prints a back-off in its CrashLoopBackOff message: "10s", "2m40s", "5m0s". */
export function formatBackoff(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
