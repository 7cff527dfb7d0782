/**
 * Jittered, capped exponential back-off for reconnecting watches: attempt n waits a random time in
 * [d/2, d] with d = min(initial * 2^n, max), so replicas that lost the API server together do not return
 * together.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.initialMs * 2 ** this.attempt, this.maxMs);
    this.attempt = Math.min(this.attempt + 1, 40);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }

  attempts(): number {
    return this.attempt;
  }
}
