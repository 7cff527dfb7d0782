/**
 * Builds what `decide` needs from the informer caches. Pure: the caller hands in cache snapshots.
 */
import { CHAINS_CONDITION_TYPE, LABEL_PROBE, ProbeReasonSchema } from '../api/index.js';
import type { NodeFacts } from '../remediation/storm.js';
import { probeSummaryOf, type ObservedProbe } from '../audit/findings.js';
import type { EffectivePolicy } from '../config/policy.js';
import { classifyPod, isTargetPod } from '../detect/index.js';
import {
  NODE_IMAGE_LABEL,
  NODE_POOL_LABEL,
  ZONE_LABEL,
  observeNode,
  parseJobReport,
  snapshotFleet,
  type FleetSnapshot,
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

export function toObservedTargetPod(
  pod: TrimmedPod | undefined,
  policy?: Pick<EffectivePolicy, 'target' | 'crashLoopRestartThreshold'>,
): ObservedTargetPod | null {
  if (!pod || pod.metadata.deletionTimestamp) return null;
  return {
    uid: pod.metadata.uid ?? '',
    name: pod.metadata.name,
    ready: pod.status.ready,
    ...(policy && classifyPod(pod, policy).kind === 'suspect' ? { crashLooping: true } : {}),
  };
}

/** A probe Job of the audit (not of a remediation). */
export function isProbeJob(job: TrimmedJob): boolean {
  return job.metadata.labels[LABEL_PROBE] !== undefined;
}

/** A probe Job as the audit sees it (its reason from its label, its finding from its pod). */
export function toObservedProbe(job: TrimmedJob, pods: readonly TrimmedPod[]): ObservedProbe {
  const parsedReason = ProbeReasonSchema.safeParse(job.metadata.labels[LABEL_PROBE]);
  const base = {
    name: job.metadata.name,
    uid: job.metadata.uid ?? '',
    reason: parsedReason.success ? parsedReason.data : 'Rolling',
    createdAt: Date.parse(job.metadata.creationTimestamp ?? '') || 0,
  };
  const observed = toObservedJob(job, pods);
  if (observed.state === 'running') return { ...base, state: 'running' };
  // A finished Job without a completion time (none on a Failed one before 1.30) counts from its creation.
  const finishedAt = Date.parse(job.status.finishedAt ?? '') || base.createdAt;
  const probe = probeSummaryOf(observed.report, observed.exitCode);
  return {
    ...base,
    state: observed.state,
    ...(finishedAt > 0 ? { finishedAt } : {}),
    probe,
    ...(probe ? {} : { reportError: observed.reportError ?? 'no result' }),
  };
}

export function isDryRunJob(job: TrimmedJob): boolean {
  return job.args.includes('probe');
}

/** A Job and its pod as `decide` sees them; the report is the agent container's termination message. */
export function toObservedJob(job: TrimmedJob, pods: readonly TrimmedPod[]): ObservedJob {
  // Conditions only: the 1.34 Job controller sets Complete/Failed once no pod runs, succeeded/failed sooner.
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

/**
 * The fleet snapshot from the caches (the gates' and the policy status' alike: src/remediation/fleet.ts counts
 * it): the Linux nodes, those whose target pod is suspect, and every remediation.
 */
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
  const suspect: string[] = [];
  if (daemonSet) {
    for (const pod of targetPods) {
      const node = linux.get(pod.spec.nodeName ?? '');
      if (!node || !isTargetPod(pod, daemonSet, node)) continue;
      if (classifyPod(pod, policy).kind === 'suspect') suspect.push(node.name);
    }
  }
  return snapshotFleet(new Set(linux.keys()), suspect, remediations.map(toObservedRemediation));
}

/** What the storm explanation groups a node by (`npmImage`: its target pod's image). */
export function nodeFacts(node: TrimmedNode, npmImage: string | undefined): NodeFacts {
  const labels = node.metadata.labels;
  const info = node.status.nodeInfo;
  const chains = node.status.conditions.find((c) => c.type === CHAINS_CONDITION_TYPE);
  const finding = chains
    ? chains.status === 'True'
      ? 'missing'
      : chains.status === 'False'
        ? 'present'
        : 'unknown'
    : undefined;
  const facts: NodeFacts = { name: node.metadata.name };
  const set = <K extends keyof NodeFacts>(key: K, value: NodeFacts[K] | undefined) => {
    if (value) facts[key] = value;
  };
  set('agentPool', labels[NODE_POOL_LABEL]);
  set('nodeImageVersion', labels[NODE_IMAGE_LABEL]);
  set('zone', labels[ZONE_LABEL]);
  set('osImage', info?.osImage);
  set('kernelVersion', info?.kernelVersion);
  set('npmImage', npmImage);
  set('finding', finding);
  return facts;
}
