/**
 * Builds what `decide` needs from the informer caches. Pure: the caller hands in cache snapshots.
 */
import type { EffectivePolicy } from '../config/policy.js';
import { classifyPod, isTargetPod } from '../detect/index.js';
import {
  holdsSlot,
  isActive,
  observeNode,
  parseJobReport,
  type FleetCounts,
  type ObservedJob,
  type ObservedNode,
  type ObservedRemediation,
  type ObservedTargetPod,
} from '../remediation/index.js';
import { AGENT_CONTAINER } from '../remediation/job.js';
import type { CachedRemediation, TrimmedDaemonSet, TrimmedJob, TrimmedNode, TrimmedPod } from './trim.js';

export function toObservedNode(node: TrimmedNode | undefined): ObservedNode | null {
  return node ? observeNode(node) : null;
}

export function toObservedRemediation(nr: CachedRemediation): ObservedRemediation {
  return {
    name: nr.metadata.name,
    uid: nr.metadata.uid ?? '',
    ...(nr.metadata.generation !== undefined ? { generation: nr.metadata.generation } : {}),
    ...(nr.metadata.creationTimestamp ? { creationTimestamp: nr.metadata.creationTimestamp } : {}),
    spec: nr.spec,
    ...(nr.status ? { status: nr.status } : {}),
  };
}

/** The target DaemonSet's live pod on this node (a pod being deleted counts only if it is the only one). */
export function targetPodOn(
  node: TrimmedNode | undefined,
  pods: readonly TrimmedPod[],
  daemonSet: TrimmedDaemonSet | undefined,
): TrimmedPod | undefined {
  if (!node || !daemonSet) return undefined;
  const observed = observeNode(node);
  const candidates = pods.filter((p) => isTargetPod(p, daemonSet, observed));
  return candidates.find((p) => !p.metadata.deletionTimestamp) ?? candidates[0];
}

export function toObservedTargetPod(pod: TrimmedPod | undefined): ObservedTargetPod | null {
  if (!pod || pod.metadata.deletionTimestamp) return null;
  return { uid: pod.metadata.uid ?? '', name: pod.metadata.name, ready: pod.status.ready };
}

export function isDryRunJob(job: TrimmedJob): boolean {
  return job.args.includes('probe');
}

/** A Job and its pod as `decide` sees them; the report is the agent container's termination message. */
export function toObservedJob(job: TrimmedJob, pods: readonly TrimmedPod[]): ObservedJob {
  if (!job.status.complete && !job.status.failed) return { name: job.metadata.name, state: 'running' };
  const state = job.status.complete ? 'succeeded' : 'failed';
  const terminated = pods
    .flatMap((p) => p.status.containerStatuses.filter((c) => c.name === AGENT_CONTAINER))
    .map((c) => c.state?.terminated)
    .find((t) => t !== undefined);
  if (!terminated) {
    return { name: job.metadata.name, state, report: null, reportError: 'no finished agent pod found' };
  }
  const parsed = parseJobReport(terminated.message, isDryRunJob(job));
  return {
    name: job.metadata.name,
    state,
    report: parsed.ok ? parsed.report : null,
    ...(parsed.ok ? {} : { reportError: parsed.error }),
    exitCode: terminated.exitCode ?? null,
  };
}

/** Fleet-wide facts, computed once and shared by every node's gate (see countsFor). */
export interface FleetSnapshot {
  linuxNodes: number;
  /** Linux nodes with a suspect target pod or an active remediation. */
  affected: Set<string>;
  /** Slot-holding remediations per node. */
  slotsByNode: Map<string, number>;
}

export function fleetSnapshot(
  nodes: readonly TrimmedNode[],
  targetPods: readonly TrimmedPod[],
  daemonSet: TrimmedDaemonSet | undefined,
  remediations: readonly CachedRemediation[],
  policy: Pick<EffectivePolicy, 'target' | 'crashLoopRestartThreshold'>,
): FleetSnapshot {
  const linux = new Map<string, ObservedNode>();
  for (const n of nodes) {
    const o = observeNode(n);
    if (o.os === 'linux') linux.set(o.name, o);
  }
  const affected = new Set<string>();
  if (daemonSet) {
    for (const pod of targetPods) {
      const node = linux.get(pod.spec.nodeName ?? '');
      if (!node || !isTargetPod(pod, daemonSet, node)) continue;
      if (classifyPod(pod, policy).kind === 'suspect') affected.add(node.name);
    }
  }
  const slotsByNode = new Map<string, number>();
  for (const nr of remediations) {
    const observed = toObservedRemediation(nr);
    if (isActive(observed) && linux.has(nr.spec.nodeName)) affected.add(nr.spec.nodeName);
    if (holdsSlot(observed)) slotsByNode.set(nr.spec.nodeName, (slotsByNode.get(nr.spec.nodeName) ?? 0) + 1);
  }
  return { linuxNodes: linux.size, affected, slotsByNode };
}

/** The gate's view from one node: slot holders on OTHER nodes; affected nodes this one included. */
export function countsFor(snapshot: FleetSnapshot, nodeName: string): FleetCounts {
  let others = 0;
  for (const [node, n] of snapshot.slotsByNode) if (node !== nodeName) others += n;
  return {
    activeRemediations: others,
    affectedNodes: snapshot.affected.size,
    linuxNodes: snapshot.linuxNodes,
  };
}
