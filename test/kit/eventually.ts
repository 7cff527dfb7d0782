/**
 * The tests' one way to wait for something to happen: polls `probe` until it returns a value other than
 * `false` or `undefined`, and resolves with that value (a predicate resolves with `true`). A probe that throws
 * is polled again (what it reads may not exist yet); if time runs out, its last error is in the message.
 * `what` names the awaited thing in the timeout message (the probe's own source text when omitted).
 * `limitMs` is a guard that fires when something is wrong, never a measurement: nothing asserts how long it took.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string = probe.toString(),
  limitMs = 30_000,
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + limitMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== undefined) return value as Exclude<T, false | undefined>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out waiting for: ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
