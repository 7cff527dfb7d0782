/**
 * The benchmark's result: its JSON shape, the targets it is judged against, and the printed table. Pure.
 */
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import type { ClusterHealth } from './bench-cluster.js';
import type { RemediationFigures } from './figures.js';
import { renderAudit, type AuditFigures } from './audit-phase.js';

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
  schemaVersion: 1;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  scenario: BenchScenario;
  operator: ProcessFigures & { objectsNote?: string };
  baseline: (ProcessFigures & { objects: number }) | null;
  remediation: RemediationFigures & { burstNodes: number };
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

export function evaluateTargets(r: Omit<BenchResult, 'targets'>): TargetResult[] {
  const t: TargetResult[] = [];
  const add = (name: string, target: string, value: string, pass: boolean) =>
    t.push({ name, target, value, pass });
  add('caches synced', '< 5 s', ms(r.operator.syncMs), r.operator.syncMs < 5_000);
  add(
    'steady RSS',
    '< 150 MB',
    mb(r.operator.steadyRssBytes),
    r.operator.steadyRssBytes !== null && r.operator.steadyRssBytes < 150 * MB,
  );
  add(
    'peak RSS',
    '< 250 MB',
    mb(r.operator.peakRssBytes),
    r.operator.peakRssBytes !== null && r.operator.peakRssBytes < 250 * MB,
  );
  const d = r.remediation.detection;
  add('detection p99', '< 1 s', ms(d.p99Ms), d.p99Ms !== null && d.p99Ms < 1_000);
  const o = r.remediation.overhead;
  add(
    'overhead per remediation (max)',
    '< 5 s',
    ms(o.maxMs),
    o.maxMs !== null && o.maxMs < 5_000 && r.remediation.finished === r.remediation.burstNodes,
  );
  const lists = count(r.requests.steady, 'list');
  add('no polling in steady state', '0 list requests', `${lists} list requests`, lists === 0);
  const memRatio = ratio(r.operator.steadyRssBytes, r.baseline?.steadyRssBytes);
  add(
    'memory vs baseline (steady RSS)',
    '>= 3x lower',
    memRatio === null ? 'n/a' : `${memRatio.toFixed(1)}x lower`,
    memRatio !== null && memRatio >= 3,
  );
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

export function renderBench(r: BenchResult): string[] {
  const s = r.scenario;
  const b = r.baseline;
  const x = (a: number | null, base: number | null | undefined) => {
    const v = ratio(a, base ?? null);
    return v === null ? '' : `${v.toFixed(1)}x`;
  };
  type MemoryField = 'steadyRssBytes' | 'peakRssBytes' | 'steadyHeapBytes' | 'peakHeapBytes';
  const compare = (label: string, field: MemoryField) => [
    label,
    mb(r.operator[field]),
    b ? mb(b[field]) : 'n/a',
    x(r.operator[field], b?.[field]),
  ];
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
  lines.push(
    ...pad([
      ['', 'chainmedic', 'naive baseline', 'baseline/ours'],
      ['caches synced', ms(r.operator.syncMs), b ? ms(b.syncMs) : 'n/a', x(r.operator.syncMs, b?.syncMs)],
      compare('RSS steady', 'steadyRssBytes'),
      compare('RSS peak (VmHWM)', 'peakRssBytes'),
      compare('heap steady', 'steadyHeapBytes'),
      compare('heap peak', 'peakHeapBytes'),
      [
        `CPU in steady state (${s.steadySeconds} s)`,
        r.operator.cpuSeconds.steady === null ? 'n/a' : `${r.operator.cpuSeconds.steady.toFixed(2)} s`,
        b?.cpuSeconds.steady == null ? 'n/a' : `${b.cpuSeconds.steady.toFixed(2)} s`,
        '',
      ],
      [
        'CPU total',
        r.operator.cpuSeconds.total === null ? 'n/a' : `${r.operator.cpuSeconds.total.toFixed(2)} s`,
        b?.cpuSeconds.total == null ? 'n/a' : `${b.cpuSeconds.total.toFixed(2)} s`,
        '',
      ],
    ]),
  );
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
