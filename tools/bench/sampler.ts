import { readProcMemory } from './proc-stats.js';
import { percentile } from './figures.js';

export interface RssSample {
  atMs: number;
  rssBytes: number;
}

/** Samples a process's resident memory from /proc every `everyMs` until stopped. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const memory = readProcMemory(this.pid);
    if (memory) this.samples.push({ atMs: Date.now(), rssBytes: memory.rssBytes });
  }

  /** Median and maximum RSS of the samples taken in [fromMs, toMs]. */
  window(fromMs: number, toMs: number): { medianBytes: number | null; maxBytes: number | null } {
    const inside = this.samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map((s) => s.rssBytes);
    return { medianBytes: percentile(inside, 50), maxBytes: inside.length ? Math.max(...inside) : null };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
