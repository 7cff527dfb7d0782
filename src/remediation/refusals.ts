import type { ObservedRemediation } from './types.js';

/** The reasons a remediation ends with when the API server refused one of its calls (docs/adr/0008). */
export const REFUSED_REASONS = [
  'JobRejected',
  'CordonRejected',
  'UncordonRejected',
  'StatusRejected',
] as const;

export interface Refusals {
  /** Nodes whose latest NodeRemediation ended Failed with a refused call, sorted. */
  nodes: string[];
  /** The NodeRemediations to delete to retry, in the order of `nodes`. */
  remediations: string[];
  /** The message of the most recent one. */
  latest?: string;
}

/**
 * The nodes the API server keeps chainmedic from remediating. One fleet-level fact instead of one stranded node
 * after another: the same policy, quota or missing permission usually refuses them all.
 */
export function refusedNodes(remediations: readonly ObservedRemediation[]): Refusals {
  const latest = new Map<string, ObservedRemediation>();
  for (const r of remediations) {
    const seen = latest.get(r.spec.nodeName);
    if (!seen || (seen.creationTimestamp ?? '') < (r.creationTimestamp ?? '')) latest.set(r.spec.nodeName, r);
  }
  const refused = [...latest.values()]
    .filter((r) => r.status?.phase === 'Failed' && isRefusedReason(r.status.reason))
    .sort((a, b) => (a.spec.nodeName < b.spec.nodeName ? -1 : 1));
  const newest = [...refused].sort((a, b) =>
    (a.status?.completionTime ?? '') < (b.status?.completionTime ?? '') ? 1 : -1,
  )[0];
  return {
    nodes: refused.map((r) => r.spec.nodeName),
    remediations: refused.map((r) => r.name),
    ...(newest?.status?.message ? { latest: newest.status.message } : {}),
  };
}

export function isRefusedReason(reason: string | undefined): boolean {
  return (REFUSED_REASONS as readonly string[]).includes(reason ?? '');
}
