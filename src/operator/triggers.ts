/**
 * What wakes the operator, declared in one place (as node-healthcheck-operator's SetupWithManager declares its
 * watches): for each watched kind, the node keys a cache change queues, which changes are skipped, and the
 * index each kind keeps by node. Every reconcile is keyed by a node name. Pure.
 */
import { RELEASE_STORM_ANNOTATION } from '../api/index.js';
import type { Cached, InformerEvent } from '../kube/informer.js';
import type {
  CachedPolicy,
  CachedRemediation,
  TrimmedDaemonSet,
  TrimmedEvent,
  TrimmedJob,
  TrimmedNode,
  TrimmedPod,
} from './trim.js';

/** The informers' index of their objects by node name. */
export const BY_NODE = 'node';

/** Which node each indexed kind belongs to. */
export const nodeOf = {
  remediation: (r: CachedRemediation): string | undefined => r.spec?.nodeName,
  job: (j: TrimmedJob): string | undefined => j.nodeName,
  pod: (p: TrimmedPod): string | undefined => p.spec.nodeName,
  /** An Event about a Node (kubelet's Starting). */
  nodeEvent: (e: TrimmedEvent): string | undefined =>
    e.involvedObject.kind === 'Node' ? e.involvedObject.name : undefined,
};

/** Equal but for the resourceVersion. */
export function sameExceptVersion<T extends Cached>(a: T, b: T): boolean {
  const strip = (o: T) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
  return strip(a) === strip(b);
}

/**
 * Updates that change nothing the operator acts on: the informer stores them quietly (no handler, no change
 * of the caches' version).
 * - nodes: a heartbeat changes only the resourceVersion of what the cache keeps;
 * - the DaemonSet: its controller's counters change with every pod start; only identity and selector are kept,
 *   and re-queueing every node for each counter change is the whole fleet again;
 * - the policy: the operator's own status updates (its spec and a storm's release are not quiet); re-queueing every node for them would also wake waiting
 *   gates on a timer that has nothing to do with a freed slot.
 */
export const quietUpdates = {
  nodes: sameExceptVersion<TrimmedNode>,
  daemonSets: sameExceptVersion<TrimmedDaemonSet>,
  policies: (old: CachedPolicy, next: CachedPolicy): boolean =>
    JSON.stringify(old.spec) === JSON.stringify(next.spec) &&
    old.metadata.annotations?.[RELEASE_STORM_ANNOTATION] ===
      next.metadata.annotations?.[RELEASE_STORM_ANNOTATION],
};

/** What a trigger may read besides its event. */
export interface TriggerContext {
  /** The namespace of the target DaemonSet (and of the events watched with it). */
  targetNamespace: string;
  /** The node of a cached target pod, by its key (namespace/name). */
  targetPodNode(key: string): string | undefined;
  /** Every node some NodeRemediation names. */
  nodesWithRemediations(): string[];
  /** Every node some target pod runs on. */
  nodesWithTargetPods(): string[];
}

export type Trigger<T> = (event: InformerEvent<T>, context: TriggerContext) => (string | undefined)[];

/** The node keys each watched kind's change queues (undefined: nothing). */
export const triggers = {
  /** A node changed: that node. */
  nodes: ((e) => [e.object.metadata.name]) as Trigger<TrimmedNode>,
  /** A NodeRemediation changed: its node. */
  remediations: ((e) => [nodeOf.remediation(e.object)]) as Trigger<CachedRemediation>,
  /** An agent Job changed: its node. */
  jobs: ((e) => [nodeOf.job(e.object)]) as Trigger<TrimmedJob>,
  /** An agent Job's pod changed: its node. */
  agentPods: ((e) => [nodeOf.pod(e.object)]) as Trigger<TrimmedPod>,
  /** A target (azure-npm) pod changed: its node. */
  targetPods: ((e) => [nodeOf.pod(e.object)]) as Trigger<TrimmedPod>,
  /** The policy's spec changed (or the caches synced): every node with a remediation or a target pod. */
  policies: (c: TriggerContext): string[] => [...c.nodesWithRemediations(), ...c.nodesWithTargetPods()],
  /** The DaemonSet changed (identity or selector): every node with a target pod. */
  daemonSets: ((_e, c) => c.nodesWithTargetPods()) as Trigger<TrimmedDaemonSet>,
  /**
   * A BackOff event about a pod (added or updated; deletions skipped): the pod's node, now, instead of on the
   * pod's next status change. A quick trigger only: the pods' own watch sees every crash loop.
   */
  events: ((e, c) => {
    if (e.type === 'delete') return [];
    const involved = e.object.involvedObject;
    if (involved.kind !== 'Pod' || !involved.name) return [];
    return [c.targetPodNode(`${involved.namespace ?? c.targetNamespace}/${involved.name}`)];
  }) as Trigger<TrimmedEvent>,
};
