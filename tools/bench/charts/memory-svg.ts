/**
 * Memory over the run as SVG: the operator's RSS and heap against seconds since it started, its phases shaded,
 * and each naive baseline's RSS over its own run on the same axes. Pure.
 */
import type { MemoryPoint, MemoryTimeline, RunPhase } from '../memory-series.js';
import {
  el,
  legend,
  legendRows,
  LEGEND_ROW_HEIGHT,
  linearScale,
  niceTicks,
  num,
  seconds,
  svgDocument,
  text,
  title,
  xAxis,
  yAxis,
} from './svg.js';

const MB = 1024 * 1024;

export const PLOT_WIDTH = 800;
export const PLOT_HEIGHT = 300;
export const LEFT = 70;
export const TOP = 50;
const RIGHT = 24;

interface Series {
  key: string;
  label: string;
  colour: string;
  dashed?: boolean;
  points: Array<{ ms: number; bytes: number }>;
}

const PHASE_FILLS: Record<RunPhase, string> = {
  sync: '#fde68a',
  steady: '#d1fae5',
  burst: '#fecaca',
  audit: '#e0e7ff',
};

const rss = (points: readonly MemoryPoint[]) => points.map((p) => ({ ms: p.ms, bytes: p.rssBytes }));

function seriesOf(m: MemoryTimeline): Series[] {
  const heap = m.operator.points.flatMap((p) =>
    p.heapBytes === null ? [] : [{ ms: p.ms, bytes: p.heapBytes }],
  );
  const all: Series[] = [
    { key: 'operator-rss', label: 'operator RSS', colour: '#1d4ed8', points: rss(m.operator.points) },
    { key: 'operator-heap', label: 'operator heap used', colour: '#1d4ed8', dashed: true, points: heap },
  ];
  if (m.baseline) {
    all.push(
      {
        key: 'baseline-defaults-rss',
        label: "baseline RSS, Node's defaults",
        colour: '#dc2626',
        points: rss(m.baseline.defaults),
      },
      {
        key: 'baseline-flags-rss',
        label: "baseline RSS, the operator's flags",
        colour: '#ea580c',
        dashed: true,
        points: rss(m.baseline.operatorFlags),
      },
    );
  }
  return all.filter((s) => s.points.length > 0);
}

export function memorySvg(m: MemoryTimeline): string {
  const series = seriesOf(m);
  const lastMs = Math.max(
    1,
    ...series.flatMap((s) => s.points.map((p) => p.ms)),
    ...m.operator.phases.map((p) => p.toMs),
  );
  const xTicks = niceTicks(lastMs);
  const yTicks = niceTicks(Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.bytes / MB))), 6);
  const bottom = TOP + PLOT_HEIGHT;
  const x = linearScale(xTicks.max, LEFT, LEFT + PLOT_WIDTH);
  const y = linearScale(yTicks.max, bottom, TOP);
  const bands = m.operator.phases.map((p) =>
    el('g', { class: `phase ${p.phase}` }, [
      el(
        'rect',
        {
          x: x(p.fromMs),
          y: TOP,
          width: x(p.toMs) - x(p.fromMs),
          height: PLOT_HEIGHT,
          fill: PHASE_FILLS[p.phase],
        },
        [title(`${p.phase}: ${seconds(p.fromMs)}-${seconds(p.toMs)} s`)],
      ),
      text(p.phase, { x: (x(p.fromMs) + x(p.toMs)) / 2, y: TOP - 6, 'text-anchor': 'middle' }),
    ]),
  );
  const lines = series.map((s) =>
    el('polyline', {
      class: 'series',
      'data-series': s.key,
      fill: 'none',
      stroke: s.colour,
      'stroke-width': 1.5,
      'stroke-dasharray': s.dashed ? '5 3' : undefined,
      points: s.points.map((p) => `${num(x(p.ms))},${num(y(p.bytes / MB))}`).join(' '),
    }),
  );
  const width = LEFT + PLOT_WIDTH + RIGHT;
  const entries = series.map((s) => ({ label: s.label, colour: s.colour, line: true, dashed: s.dashed }));
  const height = bottom + 60 + legendRows(entries, LEFT, width) * LEGEND_ROW_HEIGHT;
  return svgDocument(width, height, [
    el('rect', { width, height, fill: '#fff' }),
    text(
      `Memory over the run: the operator (its phases shaded)${m.baseline ? ', each baseline over its own run' : ''}`,
      { x: LEFT, y: 18, 'font-size': 14, 'font-weight': 'bold' },
    ),
    ...bands,
    xAxis({
      scale: x,
      ticks: xTicks.ticks,
      at: bottom,
      gridTo: TOP,
      label: 'seconds since the process started',
      format: seconds,
    }),
    yAxis({
      scale: y,
      ticks: yTicks.ticks,
      at: LEFT,
      gridTo: LEFT + PLOT_WIDTH,
      label: 'MB',
      format: (v) => String(v),
    }),
    ...lines,
    legend(entries, LEFT, bottom + 50, width),
  ]);
}
