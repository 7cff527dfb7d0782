/**
 * What the demo shows while it runs: a per-node table (terminals) or one line per change (logs, CI). Pure:
 * the timeline and the time in, strings out.
 */
import { TERMINAL_PHASES } from '../../src/api/index.js';
import type { FleetTimeline, RemediationTimeline, TimelineChange } from '../bench/timeline.js';
import { ROLE_LABEL, type DemoNode } from './fleet.js';
import type { DemoVerdict } from './expectations.js';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

const wrap = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
export const ANSI_STYLE: Style = {
  bold: wrap('1'),
  dim: wrap('2'),
  green: wrap('32'),
  yellow: wrap('33'),
  red: wrap('31'),
  cyan: wrap('36'),
};
const same = (s: string) => s;
export const PLAIN_STYLE: Style = { bold: same, dim: same, green: same, yellow: same, red: same, cyan: same };

/** A duration for people: "40ms" below a second, "2.5s" above. */
export function seconds(ms: number): string {
  const v = Math.max(0, ms);
  return v < 1000 ? `${Math.round(v)}ms` : `${(v / 1000).toFixed(1)}s`;
}

/** The node's current (or last) remediation: the one the table shows. */
export function latestRemediation(timeline: FleetTimeline, node: string): RemediationTimeline | undefined {
  const all = timeline.remediationsOf(node).filter((r) => !r.deleted);
  return all.sort((a, b) => a.createdMs - b.createdMs).at(-1);
}

export interface Row {
  node: string;
  role: string;
  npm: string;
  /** kubelet's chains as the KubeletIPTablesInitFailed condition says: missing (True), present (False). */
  chains: string;
  phase: string;
  reason: string;
  cordon: string;
  restarts: string;
  time: string;
  mark: string;
}

export interface RowInput {
  nodes: readonly DemoNode[];
  timeline: FleetTimeline;
  kubeletRestarts: (node: string) => number;
  /** Verdicts of the nodes that are settled (judged so far). */
  verdicts: ReadonlyMap<string, DemoVerdict>;
  nowMs: number;
  /**
   * The node's azure-npm pod where the timeline has none (it drops a pod listed before its node): Ready or not.
   */
  npmReady?: (node: string) => boolean | undefined;
  /** The node's KubeletIPTablesInitFailed status (undefined: not written). */
  chainsCondition?: (node: string) => string | undefined;
}

function phaseColor(style: Style, phase: string): string {
  if (phase === 'Succeeded') return style.green(phase);
  if (phase === 'Failed') return style.red(phase);
  if (phase === 'Skipped' || phase === 'Waiting') return style.yellow(phase);
  if (phase === '-') return style.dim(phase);
  return style.cyan(phase);
}

export function buildRows(input: RowInput): Row[] {
  return input.nodes.map(({ name, role }) => {
    const node = input.timeline.nodes.get(name);
    const nr = latestRemediation(input.timeline, name);
    const fallback = input.npmReady?.(name);
    const pod =
      node?.npmPod ?? (fallback === undefined ? undefined : { ready: fallback, crashLooping: false });
    const npm =
      role === 'windows'
        ? '-'
        : !pod
          ? 'starting'
          : pod.ready
            ? 'Ready'
            : pod.crashLooping
              ? 'CrashLoop'
              : 'starting';
    const condition = input.chainsCondition?.(name);
    const chains = condition === 'True' ? 'missing' : condition === 'False' ? 'present' : '-';
    const cordon = node?.unschedulable ? (node.cordonedBy ? 'chainmedic' : 'admin') : '-';
    const end = nr?.terminalMs ?? input.nowMs;
    const verdict = input.verdicts.get(name);
    return {
      node: name,
      role: ROLE_LABEL[role],
      npm,
      chains,
      phase: nr?.phase ?? '-',
      reason: nr?.reason ?? '',
      cordon,
      restarts: role === 'windows' ? '-' : String(input.kubeletRestarts(name)),
      time: nr ? seconds(end - nr.createdMs) : '',
      mark: verdict ? (verdict.ok ? 'ok' : 'WRONG') : '',
    };
  });
}

const COLUMNS: Array<{ key: keyof Row; title: string }> = [
  { key: 'node', title: 'NODE' },
  { key: 'role', title: 'CASE' },
  { key: 'npm', title: 'AZURE-NPM' },
  { key: 'chains', title: 'CHAINS' },
  { key: 'phase', title: 'REMEDIATION' },
  { key: 'reason', title: 'REASON' },
  { key: 'cordon', title: 'CORDON' },
  { key: 'restarts', title: 'RESTARTS' },
  { key: 'time', title: 'TIME' },
  { key: 'mark', title: 'OK?' },
];

/**
 * The table to redraw in place: wider than the terminal, lines would wrap and the redraw would smear, so a
 * narrow terminal gets it without colour and cut at its width.
 */
export function fitTable(rows: readonly Row[], style: Style, columns: number | undefined): string[] {
  const plain = renderTable(rows, PLAIN_STYLE);
  const width = Math.max(...plain.map((l) => l.length));
  if (columns === undefined || width < columns)
    return style === PLAIN_STYLE ? plain : renderTable(rows, style);
  return plain.map((l) => l.slice(0, Math.max(10, columns - 1)));
}

/** The table, one string per line; colour only changes what is drawn, never the widths. */
export function renderTable(rows: readonly Row[], style: Style): string[] {
  const widths = COLUMNS.map((c) => Math.max(c.title.length, ...rows.map((r) => r[c.key].length)));
  const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - text.length));
  const header = COLUMNS.map((c, i) => pad(c.title, widths[i]!)).join('  ');
  const lines = [style.bold(header.trimEnd())];
  for (const row of rows) {
    const cells = COLUMNS.map((c, i) => {
      const text = pad(row[c.key], widths[i]!);
      if (c.key === 'phase') return phaseColor(style, row.phase) + text.slice(row.phase.length);
      if (c.key === 'npm' && row.npm === 'CrashLoop') return style.red(text);
      if (c.key === 'npm' && row.npm === 'Ready') return style.green(text);
      if (c.key === 'chains' && row.chains === 'missing') return style.red(text);
      if (c.key === 'chains' && row.chains === '-') return style.dim(text);
      if (c.key === 'cordon' && row.cordon === 'chainmedic') return style.yellow(text);
      if (c.key === 'mark' && row.mark === 'ok') return style.green(text);
      if (c.key === 'mark' && row.mark === 'WRONG') return style.red(text);
      return text;
    });
    lines.push(cells.join('  ').trimEnd());
  }
  return lines;
}

/** One line for a change, for logs and CI (no cursor movement); null when the change is not worth a line. */
export function describeChange(
  change: TimelineChange,
  timeline: FleetTimeline,
  startMs: number,
  previousPhase: (remediation: string) => string | undefined,
  /** What opened the remediation, for its creation line (e.g. "Audit, probe after KubeletStarted"). */
  trigger?: (remediation: string) => string | undefined,
): string | null {
  const at = `+${`${(Math.max(0, change.atMs - startMs) / 1000).toFixed(1)}s`.padStart(6)}`;
  const node = change.node;
  switch (change.kind) {
    case 'remediation': {
      const nr = change.remediation ? timeline.remediations.get(change.remediation) : undefined;
      if (!nr) return null;
      const before = previousPhase(nr.name);
      if (nr.deleted) return `${at}  ${node}  NodeRemediation ${nr.name} deleted`;
      const reason = nr.reason ? ` (${nr.reason})` : '';
      if (before === undefined) {
        const why = trigger?.(nr.name);
        return `${at}  ${node}  NodeRemediation ${nr.name} created${why ? ` (${why})` : ''}: ${nr.phase}${reason}`;
      }
      if (before === nr.phase) return `${at}  ${node}  ${nr.phase}${reason}`;
      const took = TERMINAL_PHASES.includes(nr.phase) ? ` after ${seconds(change.atMs - nr.createdMs)}` : '';
      return `${at}  ${node}  ${before} -> ${nr.phase}${reason}${took}`;
    }
    case 'cordon': {
      const n = timeline.nodes.get(node);
      if (!n) return null;
      if (n.unschedulable) return `${at}  ${node}  cordoned${n.cordonedBy ? ` by ${n.cordonedBy}` : ''}`;
      return `${at}  ${node}  uncordoned`;
    }
    case 'npm-crash':
      return `${at}  ${node}  azure-npm crash-looping`;
    case 'npm-ready':
      return `${at}  ${node}  azure-npm Ready`;
    case 'job':
      return `${at}  ${node}  remediation Job finished`;
    case 'storm':
      return `${at}  storm guard ${timeline.stormGuard.active ? 'ON' : 'off'}`;
  }
}
