/**
 * What the bench's charts share: escaping, elements as strings, linear scales, nice ticks and axes. Pure, no
 * dependency: the charts are hand-built SVG (timeline-svg.ts, memory-svg.ts).
 */

export type Attrs = Record<string, string | number | undefined>;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text and attribute values are escaped here, and nowhere else. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A coordinate: at most one decimal, no trailing zeros ("80", "80.5"). */
export function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function attrs(a: Attrs): string {
  return Object.entries(a)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}="${esc(typeof v === 'number' ? num(v) : v)}"`)
    .join('');
}

/** An element; children are markup already built by el()/text(). */
export function el(tag: string, a: Attrs = {}, children: readonly string[] = []): string {
  return children.length === 0 ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${children.join('')}</${tag}>`;
}

export function text(content: string, a: Attrs = {}): string {
  return `<text${attrs(a)}>${esc(content)}</text>`;
}

/** A hover tooltip for the element it is the child of. */
export function title(content: string): string {
  return `<title>${esc(content)}</title>`;
}

export function svgDocument(width: number, height: number, body: readonly string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="12">\n${body.join('\n')}\n</svg>\n`
  );
}

export interface Scale {
  (value: number): number;
  domainMax: number;
}

/** [0, domainMax] -> [from, to], clamped to the range. */
export function linearScale(domainMax: number, from: number, to: number): Scale {
  const scale = ((value: number) => {
    const v = Math.min(Math.max(value, 0), domainMax);
    return from + (v / domainMax) * (to - from);
  }) as Scale;
  scale.domainMax = domainMax;
  return scale;
}

/** A step of 1, 2 or 5 x 10^k that cuts [0, max] into at most `count` intervals. */
export function niceStep(max: number, count = 8): number {
  const raw = Math.max(max, Number.EPSILON) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/** The axis' end and its ticks: the first multiple of the step at or above max (at least one step). */
export function niceTicks(max: number, count = 8): { max: number; ticks: number[] } {
  const step = niceStep(max, count);
  const steps = Math.max(1, Math.ceil(max / step - 1e-9));
  const ticks = Array.from({ length: steps + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { max: ticks[ticks.length - 1]!, ticks };
}

export interface AxisOptions {
  scale: Scale;
  ticks: readonly number[];
  /** Where the axis line is: y for a horizontal axis, x for a vertical one. */
  at: number;
  /** The other end of the grid lines (y for the x axis, x for the y axis). */
  gridTo: number;
  label: string;
  format: (value: number) => string;
}

const AXIS = { stroke: '#333', 'stroke-width': 1 };
const GRID = { stroke: '#ddd', 'stroke-width': 1 };

/** A horizontal axis at y = at, ticks labelled below it, grid lines up to gridTo, the label centred under. */
export function xAxis(o: AxisOptions): string {
  const [from, to] = [o.scale(0), o.scale(o.scale.domainMax)];
  const parts = o.ticks.flatMap((t) => [
    el('line', { x1: o.scale(t), y1: o.gridTo, x2: o.scale(t), y2: o.at, ...GRID }),
    el('line', { x1: o.scale(t), y1: o.at, x2: o.scale(t), y2: o.at + 5, ...AXIS }),
    text(o.format(t), { x: o.scale(t), y: o.at + 18, 'text-anchor': 'middle' }),
  ]);
  parts.push(el('line', { x1: from, y1: o.at, x2: to, y2: o.at, ...AXIS }));
  parts.push(text(o.label, { x: (from + to) / 2, y: o.at + 36, 'text-anchor': 'middle' }));
  return el('g', { class: 'x-axis' }, parts);
}

/** A vertical axis at x = at, ticks labelled left of it, grid lines across to gridTo, the label rotated. */
export function yAxis(o: AxisOptions): string {
  const [from, to] = [o.scale(0), o.scale(o.scale.domainMax)];
  const parts = o.ticks.flatMap((t) => [
    el('line', { x1: o.at, y1: o.scale(t), x2: o.gridTo, y2: o.scale(t), ...GRID }),
    el('line', { x1: o.at - 5, y1: o.scale(t), x2: o.at, y2: o.scale(t), ...AXIS }),
    text(o.format(t), { x: o.at - 8, y: o.scale(t) + 4, 'text-anchor': 'end' }),
  ]);
  parts.push(el('line', { x1: o.at, y1: from, x2: o.at, y2: to, ...AXIS }));
  const mid = (from + to) / 2;
  parts.push(
    text(o.label, {
      x: o.at - 48,
      y: mid,
      'text-anchor': 'middle',
      transform: `rotate(-90 ${num(o.at - 48)} ${num(mid)})`,
    }),
  );
  return el('g', { class: 'y-axis' }, parts);
}

export interface LegendEntry {
  label: string;
  colour: string;
  /** A line swatch instead of a filled box. */
  line?: boolean;
  dashed?: boolean;
}

/** Text is not measured here: about 6.5 px a character at 12 px sans-serif. */
const entryWidth = (e: LegendEntry) => 23 + Math.ceil(e.label.length * 6.5) + 16;

export const LEGEND_ROW_HEIGHT = 18;

/** Rows the legend takes from x when it wraps before maxX. */
export function legendRows(entries: readonly LegendEntry[], x: number, maxX: number): number {
  let rows = 1;
  let at = x;
  for (const e of entries) {
    if (at > x && at + entryWidth(e) > maxX) [rows, at] = [rows + 1, x];
    at += entryWidth(e);
  }
  return rows;
}

/** Entries from (x, y), each swatch followed by its label, wrapping to a new row before maxX. */
export function legend(entries: readonly LegendEntry[], x: number, y: number, maxX: number): string {
  let at = x;
  let top = y;
  const parts: string[] = [];
  for (const e of entries) {
    if (at > x && at + entryWidth(e) > maxX) [at, top] = [x, top + LEGEND_ROW_HEIGHT];
    parts.push(
      e.line
        ? el('line', {
            x1: at,
            y1: top + 5,
            x2: at + 18,
            y2: top + 5,
            stroke: e.colour,
            'stroke-width': 2,
            'stroke-dasharray': e.dashed ? '5 3' : undefined,
          })
        : el('rect', { x: at, y: top, width: 18, height: 10, fill: e.colour }),
    );
    parts.push(text(e.label, { x: at + 23, y: top + 10 }));
    at += entryWidth(e);
  }
  return el('g', { class: 'legend' }, parts);
}

/** Seconds from ms, for tick labels: "0", "2.5", "10". */
export const seconds = (ms: number): string => String(Number((ms / 1000).toPrecision(6)));
