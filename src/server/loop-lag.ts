export interface LoopLagOptions {
  /** How often the timer ticks. */
  intervalMs?: number;
  /** A tick this much later than due (or no tick for this long) makes the process unhealthy. */
  thresholdMs?: number;
  /** How long a stall above the threshold keeps being reported. */
  windowMs?: number;
  now?: () => number;
}

export interface LoopLagStatus {
  healthy: boolean;
  /** The largest lag seen within the window, including a tick that is overdue right now. */
  lagMs: number;
  reason?: string;
}

/**
 * Measures event-loop lag with a timer: a tick that fires late means the loop was blocked. Kept apart from
 * the timer so the verdict is testable with a fake clock (`tick`, `status`).
 */
export class LoopLagMonitor {
  readonly intervalMs: number;
  readonly thresholdMs: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private lastTick: number;
  private lastLagMs = 0;
  /** Only the stalls above the threshold are kept: {at, lagMs}. */
  private stalls: { at: number; lagMs: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LoopLagOptions = {}) {
    this.intervalMs = options.intervalMs ?? 500;
    this.thresholdMs = options.thresholdMs ?? 5_000;
    this.windowMs = options.windowMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.lastTick = this.now();
  }

  start(): this {
    if (this.timer) return this;
    this.lastTick = this.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One timer tick at `at`: its lag is how late it came. */
  tick(at: number = this.now()): void {
    const lagMs = Math.max(0, at - this.lastTick - this.intervalMs);
    this.lastTick = at;
    this.lastLagMs = lagMs;
    if (lagMs > this.thresholdMs) this.stalls.push({ at, lagMs });
    this.prune(at);
  }

  status(at: number = this.now()): LoopLagStatus {
    this.prune(at);
    const overdue = Math.max(0, at - this.lastTick - this.intervalMs);
    const lagMs = Math.max(overdue, this.lastLagMs, ...this.stalls.map((s) => s.lagMs));
    if (lagMs > this.thresholdMs) {
      return {
        healthy: false,
        lagMs,
        reason: `event loop blocked for ${Math.round(lagMs)} ms (threshold ${this.thresholdMs} ms)`,
      };
    }
    return { healthy: true, lagMs };
  }

  private prune(at: number): void {
    this.stalls = this.stalls.filter((s) => at - s.at <= this.windowMs);
  }
}
