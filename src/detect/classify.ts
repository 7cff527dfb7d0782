import type { EffectivePolicy } from '../config/policy.js';
import type { ObservedNode } from '../remediation/types.js';
import type { DaemonSetLike, PodLike } from './pod.js';
import { matchesSelector } from './selector.js';

/**
 * A pod of the target DaemonSet on a linux node: the selector alone is not enough (azure-npm-win carries the
 * same labels), so the controller owner reference must be that DaemonSet (by uid) and the node must be linux.
 */
export function isTargetPod(pod: PodLike, daemonSet: DaemonSetLike, node: ObservedNode | null): boolean {
  if (!node || node.os !== 'linux') return false;
  if (pod.spec?.nodeName !== node.name) return false;
  if (!daemonSet.metadata?.uid || pod.metadata?.namespace !== daemonSet.metadata.namespace) return false;
  if (!matchesSelector(daemonSet.spec?.selector, pod.metadata?.labels)) return false;
  return (pod.metadata?.ownerReferences ?? []).some(
    (ref) => ref.kind === 'DaemonSet' && ref.uid === daemonSet.metadata?.uid && ref.controller === true,
  );
}

export type PodClass =
  | { kind: 'not-target' }
  | { kind: 'healthy'; restartCount: number }
  | { kind: 'suspect'; reason: 'CrashLoopBackOff' | 'RestartThreshold'; restartCount: number };

/**
 * Suspect when the target container waits in CrashLoopBackOff, or has restarted at least the threshold and is
 * not ready (a container that recovered keeps its restart count; it must not stay suspect for ever).
 * Suspect is not confirmed: the previous log must still match a signature.
 */
export function classifyPod(
  pod: PodLike,
  policy: Pick<EffectivePolicy, 'target' | 'crashLoopRestartThreshold'>,
): PodClass {
  if (pod.metadata?.namespace !== policy.target.namespace) return { kind: 'not-target' };
  const status = pod.status?.containerStatuses?.find((c) => c.name === policy.target.container);
  if (!status) return { kind: 'not-target' };
  const restartCount = status.restartCount ?? 0;
  if (status.state?.waiting?.reason === 'CrashLoopBackOff') {
    return { kind: 'suspect', reason: 'CrashLoopBackOff', restartCount };
  }
  if (restartCount >= policy.crashLoopRestartThreshold && status.ready !== true) {
    return { kind: 'suspect', reason: 'RestartThreshold', restartCount };
  }
  return { kind: 'healthy', restartCount };
}
