/**
 * The fleet snapshot kept current from the caches' announced changes, so a gate reads it in O(affected nodes +
 * remediations) instead of walking every node and pod on every change (at 5,000 nodes that walk was the
 * operator's biggest CPU cost during a burst, and garbage for the heap). `fleetSnapshot` (observe.ts) stays the
 * definition: test/operator/fleet-index.test.ts replays random changes and compares the two after each one.
 */
import { CORDON_MARKER_ANNOTATION, OPT_OUT_ANNOTATION } from '../api/index.js';
import type { EffectivePolicy } from '../config/policy.js';
import { classifyPod, isTargetPod } from '../detect/index.js';
import { keyOf } from '../kube/cached.js';
import type { InformerEvent } from '../kube/informer.js';
import {
  snapshotFleet,
  type FleetSnapshot,
  type ObservedNode,
  type ObservedRemediation,
} from '../remediation/index.js';
import type { FleetListener } from './caches.js';
import { toObservedNode, toObservedRemediation } from './observe.js';
import type { CachedRemediation, TrimmedDaemonSet, TrimmedNode, TrimmedPod } from './trim.js';

/** What the index rebuilds from (the caches). */
export interface FleetSource {
  nodes(): readonly TrimmedNode[];
  targetPods(): readonly TrimmedPod[];
  targetPodsOn(node: string): readonly TrimmedPod[];
  daemonSet(): TrimmedDaemonSet | undefined;
  remediations(): readonly CachedRemediation[];
  policy(): Pick<EffectivePolicy, 'target' | 'crashLoopRestartThreshold'>;
}

/** Per-node marks the gauges and the policy status count (Linux nodes only). */
export interface FleetMarks {
  optedOut: number;
  cordonedByUs: number;
}

export class FleetIndex implements FleetListener {
  private readonly linux = new Map<string, ObservedNode>();
  private readonly optedOut = new Set<string>();
  private readonly cordonedByUs = new Set<string>();
  /** Suspect target pods (key -> node): a crash loop the storm guard counts. */
  private readonly suspectPods = new Map<string, string>();
  private readonly remediations = new Map<string, ObservedRemediation>();
  private stale = true;
  /** The policy's part that decides which pods count (a change rebuilds the index). */
  private basis = '';

  constructor(private readonly source: FleetSource) {}

  /** The DaemonSet or its pods' informer changed: everything is evaluated again on the next read. */
  invalidate(): void {
    this.stale = true;
  }

  node(e: InformerEvent<TrimmedNode>): void {
    if (this.stale) return;
    const name = e.object.metadata.name;
    this.linux.delete(name);
    this.optedOut.delete(name);
    this.cordonedByUs.delete(name);
    if (e.type !== 'delete') this.addNode(e.object);
    for (const pod of this.source.targetPodsOn(name)) this.evaluatePod(pod);
  }

  targetPod(e: InformerEvent<TrimmedPod>): void {
    if (this.stale) return;
    if (e.type === 'delete') this.suspectPods.delete(keyOf(e.object.metadata));
    else this.evaluatePod(e.object);
  }

  remediation(e: InformerEvent<CachedRemediation>): void {
    if (this.stale) return;
    const name = e.object.metadata.name;
    if (e.type === 'delete') this.remediations.delete(name);
    else this.remediations.set(name, toObservedRemediation(e.object));
  }

  snapshot(): FleetSnapshot {
    this.rebuildIfStale();
    return snapshotFleet(this.linux, this.suspectPods.values(), [...this.remediations.values()]);
  }

  marks(): FleetMarks {
    this.rebuildIfStale();
    return { optedOut: this.optedOut.size, cordonedByUs: this.cordonedByUs.size };
  }

  private rebuildIfStale(): void {
    const { target, crashLoopRestartThreshold } = this.source.policy();
    const basis = JSON.stringify([target, crashLoopRestartThreshold]);
    if (basis !== this.basis) this.stale = true;
    if (!this.stale) return;
    this.basis = basis;
    this.stale = false;
    this.linux.clear();
    this.optedOut.clear();
    this.cordonedByUs.clear();
    this.suspectPods.clear();
    this.remediations.clear();
    for (const node of this.source.nodes()) this.addNode(node);
    for (const pod of this.source.targetPods()) this.evaluatePod(pod);
    for (const nr of this.source.remediations())
      this.remediations.set(nr.metadata.name, toObservedRemediation(nr));
  }

  private addNode(node: TrimmedNode): void {
    const observed = toObservedNode(node);
    if (observed?.os !== 'linux') return;
    const name = observed.name;
    this.linux.set(name, observed);
    if (node.metadata.annotations[OPT_OUT_ANNOTATION] === 'true') this.optedOut.add(name);
    if (node.metadata.annotations[CORDON_MARKER_ANNOTATION] !== undefined) this.cordonedByUs.add(name);
  }

  private evaluatePod(pod: TrimmedPod): void {
    const key = keyOf(pod.metadata);
    const node = this.linux.get(pod.spec.nodeName ?? '');
    const daemonSet = this.source.daemonSet();
    const suspect =
      node !== undefined &&
      daemonSet !== undefined &&
      isTargetPod(pod, daemonSet, node) &&
      classifyPod(pod, this.source.policy()).kind === 'suspect';
    if (suspect) this.suspectPods.set(key, node.name);
    else this.suspectPods.delete(key);
  }
}
