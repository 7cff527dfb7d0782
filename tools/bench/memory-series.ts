/**
 * Memory over a run as the result keeps it for its chart: RSS and heap samples, in ms since the process was
 * spawned, at most MAX_POINTS of them, and the operator's phases. Pure.
 */
import type { RssSample } from './sampler.js';

export interface MemoryPoint {
  ms: number;
  rssBytes: number;
  heapBytes: number | null;
}

export type RunPhase = 'sync' | 'steady' | 'burst' | 'audit';

export interface PhaseSpan {
  phase: RunPhase;
  fromMs: number;
  toMs: number;
}

export interface MemoryTimeline {
  operator: { points: MemoryPoint[]; phases: PhaseSpan[] };
  /** Each baseline over its own run (sync, then the steady window); null when the baseline was skipped. */
  baseline: { defaults: MemoryPoint[]; operatorFlags: MemoryPoint[] } | null;
}

export const MAX_POINTS = 600;

/**
 * The samples in at most `max` points: consecutive samples are grouped and each group keeps its highest RSS,
 * so the peaks survive.
 */
export function memorySeries(
  samples: readonly RssSample[],
  startMs: number,
  max = MAX_POINTS,
): MemoryPoint[] {
  const size = Math.max(1, Math.ceil(samples.length / max));
  const points: MemoryPoint[] = [];
  for (let i = 0; i < samples.length; i += size) {
    const group = samples.slice(i, i + size);
    const top = group.reduce((a, b) => (b.rssBytes > a.rssBytes ? b : a));
    points.push({ ms: top.atMs - startMs, rssBytes: top.rssBytes, heapBytes: top.heapBytes ?? null });
  }
  return points;
}
