import { OPT_OUT_ANNOTATION, type RemediationPolicyStatus } from '../api/index.js';
import type { EffectivePolicy, PolicyResult } from '../config/policy.js';
import { policyStatusFromView } from '../remediation/fleet.js';
import { fleetSnapshot, toObservedRemediation } from './observe.js';
import type { CachedRemediation, TrimmedDaemonSet, TrimmedNode, TrimmedPod } from './trim.js';

/**
 * The fleet view published on the `default` RemediationPolicy's status, from the caches: the core's
 * `policyStatusFromView` (counts, storm guard, conditions Ready/Paused/StormActive) over what the informers hold. Pure.
 */
export function policyStatusFromCaches(
  policy: EffectivePolicy,
  nodes: readonly TrimmedNode[],
  targetPods: readonly TrimmedPod[],
  daemonSet: TrimmedDaemonSet | undefined,
  remediations: readonly CachedRemediation[],
  unconfirmedCrashLoops: number,
  generation: number | undefined,
  context: { validity?: PolicyResult; previous?: RemediationPolicyStatus; now?: number } = {},
): RemediationPolicyStatus {
  const snapshot = fleetSnapshot(nodes, targetPods, daemonSet, remediations, policy);
  const optedOutNodes = nodes.filter(
    (n) =>
      n.metadata.labels['kubernetes.io/os'] === 'linux' &&
      n.metadata.annotations[OPT_OUT_ANNOTATION] === 'true',
  ).length;
  const detections = remediations
    .map((r) => r.spec.trigger.observedAt)
    .filter((t): t is string => typeof t === 'string')
    .sort();
  const lastDetection = detections[detections.length - 1];
  return policyStatusFromView({
    linuxNodes: snapshot.linuxNodes,
    optedOutNodes,
    affected: snapshot.affected,
    remediations: remediations.map(toObservedRemediation),
    unconfirmedCrashLoops,
    ...(lastDetection ? { lastDetection } : {}),
    policy: context.validity ?? { ok: true, policy },
    ...(context.previous ? { previous: context.previous } : {}),
    ...(generation !== undefined ? { generation } : {}),
    now: context.now ?? Date.now(),
  });
}
