import type { FleetTimeline, RemediationTimeline, TimelineViolation } from './timeline.js';

/** The timeline as JSON: every remediation, and when azure-npm became Ready on the nodes that had one. */
export interface TimelineReport {
  remediations: RemediationTimeline[];
  /** Node -> wall times (ms) its azure-npm container became Ready; only nodes with a remediation. */
  npmReady: Record<string, number[]>;
  maxSlotsInUse: number;
  violations: TimelineViolation[];
  stormGuard: { active: boolean; sinceMs?: number; activations: number };
}

export function timelineReport(timeline: FleetTimeline): TimelineReport {
  const remediations = [...timeline.remediations.values()];
  const npmReady: Record<string, number[]> = {};
  for (const r of remediations) npmReady[r.node] = [...(timeline.nodes.get(r.node)?.npmReadyTimes ?? [])];
  return {
    remediations,
    npmReady,
    maxSlotsInUse: timeline.maxSlotsInUse,
    violations: [...timeline.violations],
    stormGuard: { ...timeline.stormGuard },
  };
}
