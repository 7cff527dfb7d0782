/**
 * The burst's timeline as SVG: one row per broken node, time on x (seconds since the nodes broke), each
 * NodeRemediation's stretches as coloured bars. Pure.
 */
import type { BurstRemediation, BurstTimeline } from '../burst-timeline.js';
import {
  el,
  legend,
  legendRows,
  LEGEND_ROW_HEIGHT,
  linearScale,
  niceTicks,
  seconds,
  svgDocument,
  text,
  title,
  xAxis,
  type Scale,
} from './svg.js';

export type BarKind = 'queued' | 'cordon' | 'job' | 'verify';

export interface Bar {
  kind: BarKind;
  fromMs: number;
  toMs: number;
}

export const BAR_LABELS: Record<BarKind, string> = {
  queued: 'queued (Pending, Waiting)',
  cordon: 'cordon → Job created',
  job: 'Job running',
  verify: 'verify, uncordon',
};

const BAR_COLOURS: Record<BarKind, string> = {
  queued: '#f2c14e',
  cordon: '#a06cd5',
  job: '#3b82f6',
  verify: '#14b8a6',
};

const OUTCOME_COLOURS: Record<string, string> = {
  Succeeded: '#15803d',
  Skipped: '#6b7280',
  Failed: '#dc2626',
};

/** The plot's width in px, whatever the names' length: x = left + t / axis max * PLOT_WIDTH. */
export const PLOT_WIDTH = 800;
export const ROW_HEIGHT = 16;
export const TOP = 40;
const BAR_HEIGHT = 10;
const RIGHT = 24;

/**
 * The stretches of one remediation. Queued runs from its creation to its first attempt (Cordoning), or to its
 * Job or end when it had none; the Job from the first Job's creation to the last one's end; verify from there
 * to the terminal phase. An unfinished stretch runs to the end of the burst's measurement.
 */
export function remediationBars(r: BurstRemediation, endMs: number): Bar[] {
  const end = r.terminalMs ?? endMs;
  const cordonAt = r.phases.find((p) => p.phase === 'Cordoning')?.atMs;
  const job = r.jobs[0];
  const jobsDone = r.jobs.length > 0 && r.jobs.every((j) => j.finishedMs !== undefined);
  const jobEnd = jobsDone ? Math.max(...r.jobs.map((j) => j.finishedMs!)) : undefined;
  const bars: Bar[] = [{ kind: 'queued', fromMs: r.createdMs, toMs: cordonAt ?? job?.createdMs ?? end }];
  if (cordonAt !== undefined) bars.push({ kind: 'cordon', fromMs: cordonAt, toMs: job?.createdMs ?? end });
  if (job) bars.push({ kind: 'job', fromMs: job.createdMs, toMs: jobEnd ?? end });
  if (jobEnd !== undefined) bars.push({ kind: 'verify', fromMs: jobEnd, toMs: end });
  return bars.filter((b) => b.toMs > b.fromMs);
}

const span = (b: Bar) => `${seconds(b.fromMs)}-${seconds(b.toMs)} s`;

function remediationMarks(node: string, r: BurstRemediation, endMs: number, x: Scale, top: number): string[] {
  const marks = remediationBars(r, endMs).map((b) =>
    el(
      'rect',
      {
        class: `bar ${b.kind}`,
        x: x(b.fromMs),
        y: top + (ROW_HEIGHT - BAR_HEIGHT) / 2,
        width: x(b.toMs) - x(b.fromMs),
        height: BAR_HEIGHT,
        fill: BAR_COLOURS[b.kind],
      },
      [title(`${node} (${r.name}): ${BAR_LABELS[b.kind]} ${span(b)}`)],
    ),
  );
  if (r.terminalMs !== undefined) {
    marks.push(
      el(
        'line',
        {
          class: 'terminal',
          x1: x(r.terminalMs),
          y1: top + 1,
          x2: x(r.terminalMs),
          y2: top + ROW_HEIGHT - 1,
          stroke: OUTCOME_COLOURS[r.phase] ?? '#000',
          'stroke-width': 3,
        },
        [title(`${node} (${r.name}): ${r.phase} at ${seconds(r.terminalMs)} s`)],
      ),
    );
  }
  return marks;
}

/** Label column wide enough for the longest node name (about 6.5 px a character). */
function labelWidth(t: BurstTimeline): number {
  return Math.max(80, Math.ceil(Math.max(0, ...t.rows.map((r) => r.node.length)) * 6.5) + 16);
}

export function timelineSvg(t: BurstTimeline): string {
  const left = labelWidth(t);
  const lastMs = Math.max(
    t.endMs,
    ...t.rows.flatMap((row) =>
      row.remediations.flatMap((r) => remediationBars(r, t.endMs).map((b) => b.toMs)),
    ),
  );
  const axis = niceTicks(Math.max(lastMs, 1));
  const x = linearScale(axis.max, left, left + PLOT_WIDTH);
  const axisY = TOP + t.rows.length * ROW_HEIGHT;
  const rows = t.rows.map((row, i) => {
    const top = TOP + i * ROW_HEIGHT;
    const label = text(row.node, { x: left - 6, y: top + 12, 'text-anchor': 'end' });
    const marks =
      row.remediations.length === 0
        ? [text('no NodeRemediation', { x: left + 4, y: top + 12, fill: '#888', 'font-style': 'italic' })]
        : row.remediations.flatMap((r) => remediationMarks(row.node, r, t.endMs, x, top));
    return el('g', { class: 'row', 'data-node': row.node }, [label, ...marks]);
  });
  const entries = [
    ...(Object.keys(BAR_LABELS) as BarKind[]).map((k) => ({ label: BAR_LABELS[k], colour: BAR_COLOURS[k] })),
    ...Object.entries(OUTCOME_COLOURS).map(([outcome, colour]) => ({
      label: `terminal: ${outcome}`,
      colour,
      line: true,
    })),
  ];
  const width = left + PLOT_WIDTH + RIGHT;
  const legendX = 10;
  const height = axisY + 60 + legendRows(entries, legendX, width) * LEGEND_ROW_HEIGHT;
  return svgDocument(width, height, [
    el('rect', { width, height, fill: '#fff' }),
    text(`The burst: ${t.rows.length} broken nodes, each NodeRemediation's stretches`, {
      x: left,
      y: 20,
      'font-size': 14,
      'font-weight': 'bold',
    }),
    xAxis({
      scale: x,
      ticks: axis.ticks,
      at: axisY,
      gridTo: TOP,
      label: 'seconds since the nodes were broken',
      format: seconds,
    }),
    ...rows,
    legend(entries, legendX, axisY + 50, width),
  ]);
}
