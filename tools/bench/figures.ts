/**
 * The benchmark's figures from the fleet timeline. Pure.
 *
 * Per-remediation operator overhead = the time chainmedic itself adds, i.e. the remediation's lifetime minus
 * what it waits for: queueing (Waiting: no free slot, storm guard, cooldown), the Job (scheduling, the agent,
 * the kubelet restart) and azure-npm coming back (kubelet's container restart):
 *   (Job created - remediation created - time Waiting) + (terminal - max(Job finished, azure-npm Ready after it))
 */
import { TERMINAL_PHASES } from '../../src/api/index.js';
import type { RemediationTimeline } from './timeline.js';

export interface Stats {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** Nearest-rank percentile (p in 0..100) of values; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function stats(values: readonly number[]): Stats {
  return {
    count: values.length,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    maxMs: values.length ? Math.max(...values) : null,
  };
}

/** Time spent in Waiting before the first Job was created. */
export function waitingMs(r: RemediationTimeline, untilMs: number): number {
  let total = 0;
  r.phases.forEach((entry, i) => {
    if (entry.phase !== 'Waiting' || entry.atMs >= untilMs) return;
    const next = r.phases[i + 1]?.atMs ?? untilMs;
    total += Math.min(next, untilMs) - entry.atMs;
  });
  return total;
}

export function overheadMs(r: RemediationTimeline, npmReadyTimes: readonly number[]): number | null {
  if (r.terminalMs === undefined) return null;
  const job = r.jobs[0];
  if (!job) return r.terminalMs - r.createdMs - waitingMs(r, r.terminalMs);
  const before = job.createdMs - r.createdMs - waitingMs(r, job.createdMs);
  const jobEnd = r.jobs.reduce((end, j) => Math.max(end, j.finishedMs ?? j.createdMs), job.createdMs);
  const npmBack = npmReadyTimes.find((t) => t >= jobEnd);
  const after =
    r.terminalMs - Math.max(jobEnd, npmBack !== undefined && npmBack <= r.terminalMs ? npmBack : jobEnd);
  return Math.max(0, before) + Math.max(0, after);
}

export interface RemediationFigures {
  /** Crash-loop status write -> NodeRemediation created. */
  detection: Stats;
  overhead: Stats;
  /** Queueing (Waiting) per remediation. */
  waiting: Stats;
  /** Created -> terminal. */
  lifetime: Stats;
  /** From the burst to the last of its remediations finishing; null if one did not finish. */
  healAllMs: number | null;
  finished: number;
  outcomes: Record<string, number>;
}

export function remediationFigures(
  remediations: readonly RemediationTimeline[],
  npmReady: Readonly<Record<string, number[]>>,
  burstAtMs: number,
): RemediationFigures {
  const detection: number[] = [];
  const overhead: number[] = [];
  const waiting: number[] = [];
  const lifetime: number[] = [];
  const outcomes: Record<string, number> = {};
  let lastEnd = burstAtMs;
  let unfinished = false;
  for (const r of remediations) {
    if (r.suspectMs !== undefined) detection.push(r.createdMs - r.suspectMs);
    const done = r.terminalMs !== undefined && TERMINAL_PHASES.includes(r.phase);
    const key = `${r.phase}${r.reason ? `/${r.reason}` : ''}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (!done) {
      unfinished = true;
      continue;
    }
    lastEnd = Math.max(lastEnd, r.terminalMs!);
    lifetime.push(r.terminalMs! - r.createdMs);
    waiting.push(waitingMs(r, r.jobs[0]?.createdMs ?? r.terminalMs!));
    const o = overheadMs(r, npmReady[r.node] ?? []);
    if (o !== null) overhead.push(o);
  }
  return {
    detection: stats(detection),
    overhead: stats(overhead),
    waiting: stats(waiting),
    lifetime: stats(lifetime),
    healAllMs: unfinished || remediations.length === 0 ? null : lastEnd - burstAtMs,
    finished: lifetime.length,
    outcomes,
  };
}
