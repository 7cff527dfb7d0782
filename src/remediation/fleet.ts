import type { Condition, RemediationPolicyStatus } from '../api/index.js';
import { resolveMaxUnhealthy, type PolicyResult } from '../config/policy.js';
import { holdsSlot, isActive } from './history.js';
import { refusedNodes, type Refusals } from './refusals.js';
import type { FleetCounts, ObservedRemediation } from './types.js';

/**
 * The fleet-wide counts the status publishes (no node excluded; a node's gate uses the operator's `countsFor`).
 * `affected` = linux nodes whose target pod is suspect; nodes with an active remediation count as affected too
 * (they are until it ends), whatever the node.
 */
function publishedCounts(view: FleetView): Omit<FleetCounts, 'linuxNodes'> {
  const nodes = new Set(view.affected);
  for (const r of view.remediations) if (isActive(r)) nodes.add(r.spec.nodeName);
  return {
    activeRemediations: view.remediations.filter((r) => holdsSlot(r)).length,
    affectedNodes: nodes.size,
  };
}

export interface FleetView {
  linuxNodes: number;
  optedOutNodes: number;
  affected: ReadonlySet<string>;
  remediations: readonly ObservedRemediation[];
  unconfirmedCrashLoops: number;
  /** RFC 3339 time of the last confirmed detection. */
  lastDetection?: string;
  /** The validation of the `default` policy's spec (an invalid policy makes the operator act as paused). */
  policy: PolicyResult;
  previous?: RemediationPolicyStatus;
  generation?: number;
  now: number;
}

/** The status the operator publishes on the `default` RemediationPolicy. */
export function policyStatusFromView(view: FleetView): RemediationPolicyStatus {
  const counts = publishedCounts(view);
  const policy = view.policy.ok ? view.policy.policy : null;
  const limit = policy ? resolveMaxUnhealthy(policy.maxUnhealthy, view.linuxNodes) : 0;
  const storm = policy !== null && counts.affectedNodes > limit;
  const refused = refusedNodes(view.remediations);
  const at = new Date(view.now).toISOString();
  const previous = view.previous?.conditions ?? [];
  const condition = (type: string, ok: boolean, reason: string, message: string): Condition => {
    const status = ok ? 'True' : 'False';
    const old = previous.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : at,
      ...(view.generation !== undefined ? { observedGeneration: view.generation } : {}),
    };
  };
  return {
    linuxNodes: view.linuxNodes,
    optedOutNodes: view.optedOutNodes,
    affectedNodes: counts.affectedNodes,
    activeRemediations: counts.activeRemediations,
    stormGuard: { active: storm, affected: counts.affectedNodes, limit },
    unconfirmedCrashLoops: view.unconfirmedCrashLoops,
    rejectedNodes: refused.nodes.length,
    ...(view.lastDetection ? { lastDetection: view.lastDetection } : {}),
    conditions: [
      view.policy.ok
        ? condition('Ready', true, 'Valid', 'The policy is valid.')
        : condition(
            'Ready',
            false,
            'InvalidPolicy',
            `Not acting (as if paused): ${view.policy.errors.join('; ')}`,
          ),
      condition(
        'Paused',
        policy?.paused === true,
        policy?.paused ? 'Paused' : 'Active',
        policy?.paused ? 'spec.paused is true: no new remediation starts.' : '',
      ),
      condition(
        'StormActive',
        storm,
        storm ? 'TooManyAffected' : 'BelowLimit',
        `${counts.affectedNodes} of ${view.linuxNodes} linux nodes affected, maxUnhealthy ${limit}.`,
      ),
      refused.nodes.length > 0
        ? condition('Degraded', true, 'JobsRejected', degradedMessage(refused))
        : condition('Degraded', false, 'NoRefusals', 'The API server refused no remediation.'),
    ],
    ...(view.generation !== undefined ? { observedGeneration: view.generation } : {}),
  };
}

function degradedMessage(refused: Refusals): string {
  const first = (names: string[], sep: string) =>
    names.slice(0, 10).join(sep) + (names.length > 10 ? ' ...' : '');
  const latest = (refused.latest ?? '').replace(
    / Fix the cause, then delete this NodeRemediation to retry\.$/,
    '',
  );
  return (
    `The API server refused remediation on ${refused.nodes.length} node(s) (${first(refused.nodes, ', ')}); the ` +
    `latest: ${latest} Fix the cause, then delete their NodeRemediations to retry: ` +
    `kubectl delete noderemediation ${first(refused.remediations, ' ')}`
  ).slice(0, 32768);
}
