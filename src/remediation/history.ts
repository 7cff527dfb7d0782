import { SLOT_PHASES, TERMINAL_PHASES, type Phase } from '../api/index.js';
import type { ObservedRemediation } from './types.js';

export function phaseOf(r: ObservedRemediation): Phase {
  return r.status?.phase ?? 'Pending';
}

export function isActive(r: ObservedRemediation): boolean {
  return !TERMINAL_PHASES.includes(phaseOf(r));
}

export function holdsSlot(r: ObservedRemediation): boolean {
  return SLOT_PHASES.includes(phaseOf(r));
}

function progressed(r: ObservedRemediation): boolean {
  const phase = phaseOf(r);
  return phase !== 'Pending' && phase !== 'Waiting';
}

/**
 * The node's non-terminal remediations, the one to drive first: one that already progressed past the gate,
 * then the oldest. The others are duplicates (at most one active remediation per node).
 */
export function orderActive(remediations: readonly ObservedRemediation[]): ObservedRemediation[] {
  return remediations.filter(isActive).sort((a, b) => {
    if (progressed(a) !== progressed(b)) return progressed(a) ? -1 : 1;
    const ta = a.creationTimestamp ?? '';
    const tb = b.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** Start times (ms) of every attempt on the node, across all its remediations. */
export function attemptStarts(remediations: readonly ObservedRemediation[]): number[] {
  return remediations.flatMap((r) => (r.status?.attempts ?? []).map((a) => Date.parse(a.startTime)));
}

/** The latest end (ms) of any attempt on the node, or undefined. */
export function lastCompletion(remediations: readonly ObservedRemediation[]): number | undefined {
  const ends = remediations.flatMap((r) =>
    (r.status?.attempts ?? []).flatMap((a) => (a.completionTime ? [Date.parse(a.completionTime)] : [])),
  );
  return ends.length > 0 ? Math.max(...ends) : undefined;
}
