import type { EffectivePolicy } from '../config/policy.js';
import { resolveMaxUnhealthy } from '../config/policy.js';
import type { RemediationPolicyStatus } from '../api/index.js';
import { holdsSlot } from '../remediation/index.js';
import { fleetCounts, toObservedRemediation } from './observe.js';
import type { CachedRemediation, TrimmedDaemonSet, TrimmedNode, TrimmedPod } from './trim.js';
import { OPT_OUT_ANNOTATION } from '../api/index.js';

/** The fleet view published on the `default` RemediationPolicy's status. Pure. */
export function policyStatus(
  policy: EffectivePolicy,
  nodes: readonly TrimmedNode[],
  targetPods: readonly TrimmedPod[],
  daemonSet: TrimmedDaemonSet | undefined,
  remediations: readonly CachedRemediation[],
  unconfirmedCrashLoops: number,
  generation: number | undefined,
): RemediationPolicyStatus {
  const fleet = fleetCounts('', nodes, targetPods, daemonSet, remediations, policy);
  const linux = nodes.filter((n) => n.metadata.labels['kubernetes.io/os'] === 'linux');
  const limit = resolveMaxUnhealthy(policy.maxUnhealthy, fleet.linuxNodes);
  const detections = remediations
    .map((r) => r.spec.trigger.observedAt)
    .filter((t): t is string => typeof t === 'string')
    .sort();
  return {
    linuxNodes: fleet.linuxNodes,
    optedOutNodes: linux.filter((n) => n.metadata.annotations[OPT_OUT_ANNOTATION] === 'true').length,
    affectedNodes: fleet.affectedNodes,
    activeRemediations: remediations.filter((r) => holdsSlot(toObservedRemediation(r))).length,
    stormGuard: { active: fleet.affectedNodes > limit, affected: fleet.affectedNodes, limit },
    unconfirmedCrashLoops,
    ...(detections.length > 0 ? { lastDetection: detections[detections.length - 1] } : {}),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}
