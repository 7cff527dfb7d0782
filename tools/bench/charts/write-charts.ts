/** Writes the bench's charts next to its JSON result: the latest under fixed names, and a time-stamped copy. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BurstTimeline } from '../burst-timeline.js';
import type { MemoryTimeline } from '../memory-series.js';
import { memorySvg } from './memory-svg.js';
import { timelineSvg } from './timeline-svg.js';

export const CHART_FILES = { timeline: 'timeline.svg', memory: 'memory.svg' } as const;

/** `stamp` names the copies as the JSON's (bench-<stamp>.json: bench-<stamp>-timeline.svg). */
export function writeCharts(
  outDir: string,
  stamp: string,
  charts: { timeline: BurstTimeline; memory: MemoryTimeline },
): string[] {
  const files: Array<[string, string]> = [
    [CHART_FILES.timeline, timelineSvg(charts.timeline)],
    [CHART_FILES.memory, memorySvg(charts.memory)],
  ];
  const written: string[] = [];
  for (const [name, svg] of files) {
    for (const file of [name, `bench-${stamp}-${name}`]) writeFileSync(join(outDir, file), svg);
    written.push(join(outDir, name));
  }
  return written;
}
