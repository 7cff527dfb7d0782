import type { RemediationPolicyStatus } from '../api/index.js';
import type { EffectivePolicy, PolicyResult } from '../config/policy.js';
import { policyStatusFromView, type FleetSnapshot } from '../remediation/fleet.js';
import { toObservedRemediation } from './observe.js';
import type { CachedRemediation } from './trim.js';

/**
 * The fleet view published on the `default` RemediationPolicy's status: the core's `policyStatusFromView`
 * (counts, storm guard, conditions Ready/Paused/StormActive) over the fleet snapshot the gates read and the
 * cached remediations. Pure.
 */
export function policyStatusFromCaches(
  policy: EffectivePolicy,
  snapshot: FleetSnapshot,
  optedOutNodes: number,
  remediations: readonly CachedRemediation[],
  unconfirmedCrashLoops: number,
  generation: number | undefined,
  context: { validity?: PolicyResult; previous?: RemediationPolicyStatus; now?: number } = {},
): RemediationPolicyStatus {
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
