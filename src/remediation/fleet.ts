import type { Condition, RemediationPolicyStatus } from '../api/index.js';
import { resolveMaxUnhealthy, type PolicyResult } from '../config/policy.js';
import { holdsSlot, isActive } from './history.js';
import { refusedNodes, type Refusals } from './refusals.js';
import type { FleetCounts, ObservedRemediation } from './types.js';

/**
 * The fleet as the storm guard and the slots see it: one definition for a node's gate and for the policy's
 * status, so `kubectl get remediationpolicy` shows the numbers a gate decided on.
 */
export interface FleetSnapshot {
  linuxNodes: number;
  /**
   * Linux nodes whose target pod is suspect or that have an active remediation (until it ends). A remediation
   * on a node that is gone or not Linux is not an affected node: it ends Skipped, and the storm guard's limit is
   * a share of the Linux nodes.
   */
  affected: ReadonlySet<string>;
  /** Slot-holding remediations per node, on any node (gone or not Linux too: the slot is held until it ends). */
  slotsByNode: ReadonlyMap<string, number>;
}

/** Slot-holding remediations per node. */
function slotsByNode(remediations: readonly ObservedRemediation[]): Map<string, number> {
  const slots = new Map<string, number>();
  for (const r of remediations) {
    if (holdsSlot(r)) slots.set(r.spec.nodeName, (slots.get(r.spec.nodeName) ?? 0) + 1);
  }
  return slots;
}

/** The snapshot from the Linux nodes' names, the nodes whose target pod is suspect and every remediation. */
export function snapshotFleet(
  linux: { has(node: string): boolean; readonly size: number },
  suspect: Iterable<string>,
  remediations: readonly ObservedRemediation[],
): FleetSnapshot {
  const affected = new Set([...suspect].filter((node) => linux.has(node)));
  for (const r of remediations) if (isActive(r) && linux.has(r.spec.nodeName)) affected.add(r.spec.nodeName);
  return { linuxNodes: linux.size, affected, slotsByNode: slotsByNode(remediations) };
}

/**
 * The counts `decide` and the status read. A node's gate passes `exceptSlotsOf` (its own node): the slots held on
 * OTHER nodes; the status counts every slot. The affected nodes are the same for both, the gate's node included.
 */
export function fleetCounts(snapshot: FleetSnapshot, exceptSlotsOf?: string): FleetCounts {
  let slots = 0;
  for (const [node, n] of snapshot.slotsByNode) if (node !== exceptSlotsOf) slots += n;
  return {
    activeRemediations: slots,
    affectedNodes: snapshot.affected.size,
    linuxNodes: snapshot.linuxNodes,
  };
}

/** What the status is made of: the fleet snapshot's Linux nodes and affected nodes (`snapshotFleet`), and more. */
export interface FleetView extends Pick<FleetSnapshot, 'linuxNodes' | 'affected'> {
  optedOutNodes: number;
  /** Every remediation (its slots are counted as `snapshotFleet` counts them). */
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
  const counts = fleetCounts({ ...view, slotsByNode: slotsByNode(view.remediations) });
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
