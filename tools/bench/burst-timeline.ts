/**
 * The burst as the result keeps it for its timeline chart: one row per broken node, each of its
 * NodeRemediations with its phase changes and Jobs, every time in ms since the nodes were broken. Pure.
 */
import type { Phase } from '../../src/api/index.js';
import type { RemediationTimeline } from './timeline.js';

export interface BurstRemediation {
  name: string;
  createdMs: number;
  /** The phase at the end of the burst (a terminal one when it finished). */
  phase: Phase;
  phases: Array<{ phase: Phase; atMs: number }>;
  jobs: Array<{ createdMs: number; finishedMs?: number }>;
  terminalMs?: number;
}

export interface BurstRow {
  node: string;
  remediations: BurstRemediation[];
}

export interface BurstTimeline {
  /** When the measurement of the burst ended (the last remediation finished, or the heal timeout). */
  endMs: number;
  rows: BurstRow[];
}

/** Rows in the order the nodes' first NodeRemediations were created; nodes without one last. */
export function burstTimeline(
  remediations: readonly RemediationTimeline[],
  burstNodes: readonly string[],
  burstAtMs: number,
  endAtMs: number,
): BurstTimeline {
  const since = (ms: number) => ms - burstAtMs;
  const rows: BurstRow[] = burstNodes.map((node) => ({
    node,
    remediations: remediations
      .filter((r) => r.node === node)
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((r) => ({
        name: r.name,
        createdMs: since(r.createdMs),
        phase: r.phase,
        phases: r.phases.map((p) => ({ phase: p.phase, atMs: since(p.atMs) })),
        jobs: r.jobs.map((j) => ({
          createdMs: since(j.createdMs),
          ...(j.finishedMs !== undefined ? { finishedMs: since(j.finishedMs) } : {}),
        })),
        ...(r.terminalMs !== undefined ? { terminalMs: since(r.terminalMs) } : {}),
      })),
  }));
  const first = (row: BurstRow) => row.remediations[0]?.createdMs ?? Infinity;
  rows.sort((a, b) => first(a) - first(b) || (a.node < b.node ? -1 : 1));
  return { endMs: since(endAtMs), rows };
}
