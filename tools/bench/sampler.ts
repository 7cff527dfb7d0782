import { readProcMemory } from './proc-stats.js';
import { percentile } from './figures.js';

export interface RssSample {
  atMs: number;
  rssBytes: number;
  /** The heap in use then, when the sampler was given a way to read it (the memory reporter's file). */
  heapBytes?: number;
}

export interface RssSamplerOptions {
  everyMs?: number;
  heap?: () => number | undefined;
}

/** Samples a process's resident memory from /proc (and its heap, if it can) every `everyMs` until stopped. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly heap: (() => number | undefined) | undefined;

  constructor(
    private readonly pid: number,
    options: RssSamplerOptions = {},
  ) {
    this.heap = options.heap;
    this.sample();
    this.timer = setInterval(() => this.sample(), options.everyMs ?? 250);
    this.timer.unref();
  }

  sample(): void {
    const memory = readProcMemory(this.pid);
    if (!memory) return;
    const heapBytes = this.heap?.();
    this.samples.push({ atMs: Date.now(), rssBytes: memory.rssBytes, ...(heapBytes ? { heapBytes } : {}) });
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
