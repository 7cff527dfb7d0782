/**
 * The bench's audit phase: the fleet audit (probe-only Jobs, src/operator/auditor.ts) run on a time-scaled
 * interval, its requests counted on the server side, converted to what the audit costs per hour at the real
 * interval. Pure helpers here; run-bench.ts drives the phase.
 *
 * What a probe costs does not depend on the interval: a Job create, then (the Job and its pod are watched) one
 * Node status patch with its finding. So the phase measures requests per probe, and the hourly figures are that
 * times the probes the audit plans per hour at the real interval: every eligible node once per 80 % of it
 * (src/audit/plan.ts, COVERAGE_SHARE).
 */
import { COVERAGE_SHARE } from '../../src/audit/plan.js';
import type { RequestCounts } from './bench-cluster.js';

export interface AuditPhaseOptions {
  /** How long the phase runs (s). */
  seconds: number;
  /** spec.audit.interval during the phase (a duration: "30m"), standing for `realInterval`. */
  interval: string;
  /** spec.audit.maxConcurrentProbes during the phase. */
  maxConcurrentProbes: number;
  /** The interval it stands for ("24h", the default). */
  realInterval?: string;
  /** maxConcurrentProbes at the real interval (the default 3), to check it suffices for the pace. */
  realMaxConcurrentProbes?: number;
}

export interface AuditFigures {
  seconds: number;
  interval: string;
  realInterval: string;
  /** realInterval / interval. */
  timeRatio: number;
  maxConcurrentProbes: number;
  /** The Linux nodes the audit may probe (the policy status at the end of the phase). */
  eligibleNodes: number | null;
  /** Of those, probed within the (scaled) interval at the end of the phase. */
  probedWithinInterval: number | null;
  /** Probe Jobs the operator created in the phase, by reason (its chainmedic_probe_jobs_total). */
  probesByReason: Record<string, number>;
  probes: number;
  /** The Node condition writes in the phase (chainmedic_chains_condition_writes_total). */
  conditionWrites: number | null;
  /** The pace the plan aims at (probes/s at the scaled interval) and the rate measured. */
  pacedPerSecond: number | null;
  measuredPerSecond: number;
  /** The operator's requests in the phase, verb -> resource -> count. */
  requests: RequestCounts;
  /** requests / probes. */
  perProbe: RequestCounts;
  /** At the real interval: probes (= Jobs) per hour, requests per hour (verb -> resource), and their total. */
  perHour: { probes: number | null; requests: RequestCounts; total: number | null };
  /** Seconds between two rolling probes at the real interval, and the probe Jobs that pace keeps running. */
  realPaceSeconds: number | null;
  operator: {
    cpuSeconds: number | null;
    /** CPU seconds per second of the phase, and of the steady window before it (audit off). */
    cpuPerSecond: number | null;
    steadyCpuPerSecond: number | null;
    /** RSS when the phase began (after the burst), to compare with the median and maximum in it. */
    rssAtStartBytes?: number | null;
    rssMedianBytes: number | null;
    rssMaxBytes: number | null;
    heapUsedBytes: number | null;
  };
}

const POLICY_STATUS = 'remediationpolicies/status';
const POLICY_STATUS_MAX_PER_HOUR = 360;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** "30m", "24h", "90s", "1h30m" -> ms. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`not a duration: ${text} (e.g. 30m, 24h, 90s)`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]!]!, 0);
}

/** Probes the rolling audit plans per hour: every eligible node once per COVERAGE_SHARE of the interval. */
export function probesPerHour(eligibleNodes: number, intervalMs: number): number {
  return (eligibleNodes * 3_600_000) / (COVERAGE_SHARE * intervalMs);
}

export function scale(counts: RequestCounts, factor: number): RequestCounts {
  const out: RequestCounts = {};
  for (const [verb, resources] of Object.entries(counts)) {
    const row: Record<string, number> = {};
    for (const [resource, n] of Object.entries(resources)) row[resource] = n * factor;
    out[verb] = row;
  }
  return out;
}

export function total(counts: RequestCounts): number {
  return Object.values(counts).reduce((sum, r) => sum + Object.values(r).reduce((a, b) => a + b, 0), 0);
}

/** Prometheus text: the sum of a counter's series by one label (`{reason="Rolling"} 12`). */
export function counterByLabel(metrics: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${name}\\{([^}]*)\\}\\s+(\\S+)`, 'gm');
  for (const m of metrics.matchAll(re)) {
    const value = /(?:^|,)\s*([a-zA-Z_]+)="([^"]*)"/g;
    let key = '';
    for (const l of m[1]!.matchAll(value)) if (l[1] === label) key = l[2]!;
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}

/** A counter without labels, or the sum over its series; null when absent. */
export function counterTotal(metrics: string, name: string): number | null {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'gm');
  let sum: number | null = null;
  for (const m of metrics.matchAll(re)) sum = (sum ?? 0) + Number(m[1]);
  return sum;
}

export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

export interface AuditMeasurement {
  options: AuditPhaseOptions;
  elapsedMs: number;
  requests: RequestCounts;
  probesByReason: Record<string, number>;
  conditionWrites: number | null;
  eligibleNodes: number | null;
  probedWithinInterval: number | null;
  operator: AuditFigures['operator'];
}

export function auditFigures(m: AuditMeasurement): AuditFigures {
  const realInterval = m.options.realInterval ?? '24h';
  const intervalMs = durationMs(m.options.interval);
  const realMs = durationMs(realInterval);
  const probes = Object.values(m.probesByReason).reduce((a, b) => a + b, 0);
  const perProbe = probes > 0 ? scale(m.requests, 1 / probes) : {};
  const hourly = m.eligibleNodes !== null ? probesPerHour(m.eligibleNodes, realMs) : null;
  const perHour = hourly !== null && probes > 0 ? scale(perProbe, hourly) : {};
  // The policy status is written at most every 10 s, when the coverage changed (src/operator/operator.ts): not
  // per probe. At the real pace the coverage changes with about every probe, so about one write per probe, at
  // most 360 an hour.
  if (hourly !== null && probes > 0)
    (perHour.patch ??= {})[POLICY_STATUS] = Math.min(hourly, POLICY_STATUS_MAX_PER_HOUR);
  return {
    seconds: m.elapsedMs / 1000,
    interval: m.options.interval,
    realInterval,
    timeRatio: realMs / intervalMs,
    maxConcurrentProbes: m.options.maxConcurrentProbes,
    eligibleNodes: m.eligibleNodes,
    probedWithinInterval: m.probedWithinInterval,
    probesByReason: m.probesByReason,
    probes,
    conditionWrites: m.conditionWrites,
    pacedPerSecond: m.eligibleNodes !== null ? probesPerHour(m.eligibleNodes, intervalMs) / 3600 : null,
    measuredPerSecond: m.elapsedMs > 0 ? (probes * 1000) / m.elapsedMs : 0,
    requests: m.requests,
    perProbe,
    perHour: {
      probes: hourly,
      requests: perHour,
      total: hourly !== null && probes > 0 ? total(perHour) : null,
    },
    realPaceSeconds: hourly ? 3600 / hourly : null,
    operator: m.operator,
  };
}

const fmt = (n: number, digits = 2) => (Number.isInteger(n) ? String(n) : n.toFixed(digits));

function countsLine(counts: RequestCounts, digits = 2): string {
  const parts = Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([verb, resources]) =>
        `${verb} ${Object.entries(resources)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([res, n]) => `${res}=${fmt(n, digits)}`)
          .join(',')}`,
    );
  return parts.length ? parts.join('; ') : '(none)';
}

const MB = 1024 * 1024;

export function renderAudit(a: AuditFigures): string[] {
  const lines: string[] = [];
  lines.push(
    `audit phase: ${fmt(a.seconds, 1)} s with spec.audit.interval ${a.interval} standing for ${a.realInterval} ` +
      `(x${fmt(a.timeRatio, 1)}), maxConcurrentProbes ${a.maxConcurrentProbes}, job.ttlAfterFinished scaled alike`,
  );
  lines.push(
    `  probe Jobs created: ${a.probes} (${Object.entries(a.probesByReason)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}), ${fmt(a.measuredPerSecond)}/s against a pace of ` +
      `${a.pacedPerSecond === null ? 'n/a' : fmt(a.pacedPerSecond)}/s; Node condition writes ${a.conditionWrites ?? 'n/a'}; ` +
      `covered ${a.probedWithinInterval ?? 'n/a'} of ${a.eligibleNodes ?? 'n/a'} eligible nodes`,
  );
  lines.push(`  requests in the phase: ${countsLine(a.requests)}`);
  lines.push(`  requests per probe:    ${countsLine(a.perProbe, 3)}`);
  lines.push(
    `  at ${a.realInterval}: ${a.perHour.probes === null ? 'n/a' : fmt(a.perHour.probes, 1)} probe Jobs/hour ` +
      `(one every ${a.realPaceSeconds === null ? 'n/a' : fmt(a.realPaceSeconds, 1)} s), ` +
      `${a.perHour.total === null ? 'n/a' : fmt(a.perHour.total, 0)} requests/hour: ${countsLine(a.perHour.requests, 0)}`,
  );
  lines.push(
    `  (the policy status: written at most every 10 s when the coverage changed, so about one per probe at ` +
      `${a.realInterval}, at most 360/hour; not from the phase's count)`,
  );
  const o = a.operator;
  lines.push(
    `  operator: CPU ${o.cpuSeconds === null ? 'n/a' : fmt(o.cpuSeconds)} s (${o.cpuPerSecond === null ? 'n/a' : fmt(o.cpuPerSecond, 3)} ` +
      `s/s; steady, audit off: ${o.steadyCpuPerSecond === null ? 'n/a' : fmt(o.steadyCpuPerSecond, 3)} s/s), RSS at the start ` +
      `${o.rssAtStartBytes == null ? 'n/a' : (o.rssAtStartBytes / MB).toFixed(1)} MB, median ` +
      `${o.rssMedianBytes === null ? 'n/a' : (o.rssMedianBytes / MB).toFixed(1)} MB, max ` +
      `${o.rssMaxBytes === null ? 'n/a' : (o.rssMaxBytes / MB).toFixed(1)} MB, heap used ` +
      `${o.heapUsedBytes === null ? 'n/a' : (o.heapUsedBytes / MB).toFixed(1)} MB`,
  );
  return lines;
}
