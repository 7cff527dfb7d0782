/**
 * The benchmark's result: its JSON shape, the targets it is judged against, and the printed table. Pure.
 */
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import type { ClusterHealth } from './bench-cluster.js';
import type { RemediationFigures } from './figures.js';
import { renderAudit, type AuditFigures } from './audit-phase.js';
import type { BurstTimeline } from './burst-timeline.js';
import type { MemoryTimeline } from './memory-series.js';

export interface ProcessFigures {
  /** From spawn to caches synced (operator) or every informer started (baseline). */
  syncMs: number;
  steadyRssBytes: number | null;
  /** VmHWM at the end of the run. */
  peakRssBytes: number | null;
  steadyHeapBytes: number | null;
  peakHeapBytes: number | null;
  cpuSeconds: { total: number | null; steady: number | null };
}

export interface BaselineFigures extends ProcessFigures {
  objects: number;
  /** What the run added to the environment: {} for Node's defaults, the operator's NODE_OPTIONS for the other. */
  env: Record<string, string>;
}

/** The naive baseline, run twice: with Node's defaults and with the operator's runtime flags. */
export interface BaselineRuns {
  defaults: BaselineFigures;
  operatorFlags: BaselineFigures;
}

export interface BenchScenario {
  nodes: number;
  windows: number;
  broken: number;
  churnPerSecond: number;
  /** memory when absent (results written before the real control plane was benched). */
  controlPlane?: ControlPlaneKind;
  maxConcurrent: number;
  timeScale: number;
  steadySeconds: number;
  seed: number;
}

export interface TargetResult {
  name: string;
  target: string;
  value: string;
  pass: boolean;
}

export interface BenchResult {
  /** 2: the baseline twice (defaults, operatorFlags), remediation.timeline and memory added. */
  schemaVersion: 2;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  scenario: BenchScenario;
  operator: ProcessFigures & { objectsNote?: string };
  baseline: BaselineRuns | null;
  /** The burst's figures, and its timeline (the chart's rows: ms since the nodes were broken). */
  remediation: RemediationFigures & { burstNodes: number; timeline: BurstTimeline };
  /** RSS and heap over the run, for the memory chart (at most 600 points a series). */
  memory: MemoryTimeline;
  /** verb -> resource -> count, per phase of the run (the operator's requests only). */
  requests: {
    sync: Record<string, Record<string, number>>;
    steady: Record<string, Record<string, number>>;
    burst: Record<string, Record<string, number>>;
  };
  /** Where the request counts come from (the server side on both planes). */
  requestSource?: string;
  /** Where the timeline's times are stamped. */
  timelineSource?: string;
  /** The real control plane's own figures (null on memory). */
  cluster?: ClusterHealth | null;
  kubeletRestarts: number;
  maxSlotsInUse: number;
  /** How the fleet audit ran in sync, steady and burst (absent in results written before the audit). */
  auditDuringPhases?: string;
  /** The audit phase (null or absent: not run). */
  audit?: AuditFigures | null;
  targets: TargetResult[];
}

const MB = 1024 * 1024;
export const mb = (bytes: number | null): string =>
  bytes === null ? 'n/a' : `${(bytes / MB).toFixed(1)} MB`;
export const ms = (v: number | null): string =>
  v === null ? 'n/a' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`;
const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a && b ? b / a : null;

const count = (requests: Record<string, Record<string, number>>, verb: string): number =>
  Object.values(requests[verb] ?? {}).reduce((a, b) => a + b, 0);

/** The targets of issue 15: printed PASS or MISS with the figures, never asserted by a test. */
export const TARGETS = {
  steadyRssBytes: 150 * MB,
  peakRssBytes: 200 * MB,
  /** Steady RSS this many times below the baseline's with the same runtime flags. */
  baselineRatio: 3,
  syncMs: 3_000,
  detectionP99Ms: 500,
  overheadP99Ms: 1_000,
} as const;

export function evaluateTargets(r: Omit<BenchResult, 'targets'>): TargetResult[] {
  const t: TargetResult[] = [];
  const add = (name: string, target: string, value: string, pass: boolean) =>
    t.push({ name, target, value, pass });
  const op = r.operator;
  const below = (v: number | null, limit: number) => v !== null && v < limit;
  add(
    'steady RSS',
    `< ${mb(TARGETS.steadyRssBytes)}`,
    mb(op.steadyRssBytes),
    below(op.steadyRssBytes, TARGETS.steadyRssBytes),
  );
  add(
    'peak RSS',
    `< ${mb(TARGETS.peakRssBytes)}`,
    mb(op.peakRssBytes),
    below(op.peakRssBytes, TARGETS.peakRssBytes),
  );
  const sameFlags = ratio(op.steadyRssBytes, r.baseline?.operatorFlags.steadyRssBytes);
  const defaults = ratio(op.steadyRssBytes, r.baseline?.defaults.steadyRssBytes);
  add(
    'memory vs baseline, same flags (steady RSS)',
    `>= ${TARGETS.baselineRatio}x lower`,
    sameFlags === null
      ? 'n/a'
      : `${sameFlags.toFixed(1)}x lower (vs Node's defaults: ${defaults === null ? 'n/a' : `${defaults.toFixed(1)}x`})`,
    sameFlags !== null && sameFlags >= TARGETS.baselineRatio,
  );
  add('caches synced', `< ${ms(TARGETS.syncMs)}`, ms(op.syncMs), op.syncMs < TARGETS.syncMs);
  const d = r.remediation.detection;
  add(
    'detection p99',
    `< ${ms(TARGETS.detectionP99Ms)}`,
    ms(d.p99Ms),
    below(d.p99Ms, TARGETS.detectionP99Ms),
  );
  const o = r.remediation.overhead;
  const allFinished = r.remediation.finished === r.remediation.burstNodes;
  add(
    'overhead per remediation (p99)',
    `< ${ms(TARGETS.overheadP99Ms)}`,
    `${ms(o.p99Ms)}${allFinished ? '' : ` (${r.remediation.burstNodes - r.remediation.finished} unfinished)`}`,
    below(o.p99Ms, TARGETS.overheadP99Ms) && allFinished,
  );
  const lists = count(r.requests.steady, 'list');
  add('no polling in steady state', '0 list requests', `${lists} list requests`, lists === 0);
  return t;
}

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => c + ' '.repeat(widths[i]! - c.length))
      .join('  ')
      .trimEnd(),
  );
}

type MemoryField = 'steadyRssBytes' | 'peakRssBytes' | 'steadyHeapBytes' | 'peakHeapBytes';

const cpu = (v: number | null | undefined) => (v == null ? 'n/a' : `${v.toFixed(2)} s`);

/** chainmedic against both baseline runs, each with its ratio (baseline/ours). */
function comparisonRows(r: BenchResult): string[][] {
  const op = r.operator;
  const runs = r.baseline ? [r.baseline.defaults, r.baseline.operatorFlags] : [undefined, undefined];
  const x = (ours: number | null, base: number | null) => {
    const v = ratio(ours, base);
    return v === null ? '' : `${v.toFixed(1)}x`;
  };
  const row = (
    label: string,
    show: (f: ProcessFigures) => string,
    value?: (f: ProcessFigures) => number | null,
  ) => [
    label,
    show(op),
    ...runs.flatMap((b) => (b ? [show(b), value ? x(value(op), value(b)) : ''] : ['n/a', ''])),
  ];
  const memory = (label: string, f: MemoryField) =>
    row(
      label,
      (p) => mb(p[f]),
      (p) => p[f],
    );
  return [
    [
      '',
      'chainmedic',
      "baseline (Node's defaults)",
      'baseline/ours',
      "baseline (operator's flags)",
      'baseline/ours',
    ],
    row(
      'caches synced',
      (p) => ms(p.syncMs),
      (p) => p.syncMs,
    ),
    memory('RSS steady', 'steadyRssBytes'),
    memory('RSS peak (VmHWM)', 'peakRssBytes'),
    memory('heap steady', 'steadyHeapBytes'),
    memory('heap peak', 'peakHeapBytes'),
    row(`CPU in steady state (${r.scenario.steadySeconds} s)`, (p) => cpu(p.cpuSeconds.steady)),
    row('CPU total', (p) => cpu(p.cpuSeconds.total)),
  ];
}

export function renderBench(r: BenchResult): string[] {
  const s = r.scenario;
  const lines: string[] = [];
  const plane =
    s.controlPlane === 'real'
      ? "real control plane (kube-apiserver, etcd, controllers), heartbeats: the simulated kubelets' Leases"
      : `in-memory control plane, churn ${s.churnPerSecond}/s`;
  lines.push(
    `chainmedic bench: ${s.nodes} linux + ${s.windows} windows nodes, ${plane}, burst of ${s.broken} ` +
      `broken nodes, maxConcurrent ${s.maxConcurrent}, sim time x${s.timeScale}`,
  );
  lines.push(
    `machine: ${r.machine.cpus} cpus (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`,
  );
  lines.push('');
  lines.push(...pad(comparisonRows(r)));
  if (r.baseline) {
    const flags = Object.entries(r.baseline.operatorFlags.env).map(([k, v]) => `${k}=${v}`);
    lines.push(
      `(the operator and the second baseline run with ${flags.join(' ') || 'no extra environment'})`,
    );
  }
  lines.push('');
  const rem = r.remediation;
  lines.push(
    ...pad([
      ['remediation (burst)', 'p50', 'p99', 'max', 'count'],
      ...(
        [
          ['detection (crash status -> NodeRemediation)', rem.detection],
          ['operator overhead per remediation', rem.overhead],
          ['queued (Waiting for a slot)', rem.waiting],
          ['NodeRemediation lifetime', rem.lifetime],
        ] as const
      ).map(([name, st]) => [name, ms(st.p50Ms), ms(st.p99Ms), ms(st.maxMs), String(st.count)]),
    ]),
  );
  lines.push(
    `time to heal the burst of ${rem.burstNodes}: ${ms(rem.healAllMs)} (${rem.finished}/${rem.burstNodes} finished; ` +
      `outcomes: ${Object.entries(rem.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}); kubelet restarts ${r.kubeletRestarts}; at most ${r.maxSlotsInUse} remediations at once`,
  );
  lines.push('');
  if (r.cluster) {
    const c = r.cluster;
    lines.push(
      `control plane ready in ${ms(c.controlPlaneStartMs)}, cluster (nodes registered, azure-npm running) in ` +
        `${ms(c.clusterStartMs)}; nodes ever not Ready: ${c.nodesEverNotReady}; simulated kubelet errors: ` +
        `${c.kubeletErrors}${c.lastKubeletError ? ` (last: ${c.lastKubeletError.slice(0, 200)})` : ''}`,
    );
    if (c.notReady.length > 0)
      lines.push(
        `  not Ready (seconds after the cluster was up): ${c.notReady.map((n) => `${n.node} ${n.afterS}`).join(', ')}`,
      );
    lines.push('');
  }
  lines.push(
    `API requests by the operator (verb resource=count), from ${r.requestSource ?? "the sim's request log"}:`,
  );
  for (const phase of ['sync', 'steady', 'burst'] as const) {
    const parts = Object.entries(r.requests[phase])
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(
        ([verb, resources]) =>
          `${verb} ${Object.entries(resources)
            .map(([res, n]) => `${res}=${n}`)
            .join(',')}`,
      );
    lines.push(`  ${phase.padEnd(6)} ${parts.length ? parts.join('; ') : '(none)'}`);
  }
  if (r.auditDuringPhases) lines.push(`  (the fleet audit: ${r.auditDuringPhases})`);
  if (r.audit) {
    lines.push('');
    lines.push(...renderAudit(r.audit));
  }
  lines.push('');
  lines.push(
    ...pad([
      ['target', 'goal', 'measured', ''],
      ...r.targets.map((t) => [t.name, t.target, t.value, t.pass ? 'PASS' : 'MISS']),
    ]),
  );
  const missed = r.targets.filter((t) => !t.pass);
  lines.push(
    missed.length === 0
      ? 'All targets met.'
      : `Missed ${missed.length} target(s): ${missed.map((t) => t.name).join(', ')}.`,
  );
  return lines;
}
