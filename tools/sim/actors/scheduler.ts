/**
 * The in-memory plane's scheduler: binds every pod without a nodeName (schedulerName default-scheduler) to the
 * first node that fits (tools/sim/actors/scheduling.ts: nodeSelector, required affinity, taints, cordons), with
 * PodScheduled and a Scheduled Event; a pod that fits nowhere gets PodScheduled False (Unschedulable), one
 * FailedScheduling Event, and is tried again when nodes change.
 */
import { NODES, PODS, type KubeObject, type SimStore } from '../api/types.js';
import { isoSeconds, updateObject, updateStatus } from './actor-store.js';
import type { SimClock } from './clock.js';
import type { EventRecorder } from './event-recorder.js';
import { pinnedNodeNames, unfitReason, unschedulableMessage } from './scheduling.js';

/** Node changes come in bursts (heartbeats): unschedulable pods are retried at most this often. */
const RETRY_THROTTLE_MS = 100;

const podKey = (pod: KubeObject) => `${pod.metadata.namespace}/${pod.metadata.name}`;
const nodeNameOf = (pod: KubeObject) => (pod.spec as { nodeName?: string } | undefined)?.nodeName;

export class Scheduler {
  /** Unschedulable pods by namespace/name, with their uid. */
  private readonly unscheduled = new Map<string, string>();
  private readonly stops: Array<() => void> = [];
  private retryPending = false;

  constructor(
    private readonly store: SimStore,
    private readonly clock: SimClock,
    private readonly events: EventRecorder,
  ) {}

  start(): void {
    this.stops.push(
      this.store.subscribe(PODS, (event) => {
        const pod = event.object;
        if (event.type === 'DELETED') {
          this.unscheduled.delete(podKey(pod));
          return;
        }
        if (event.type === 'ADDED' && this.wants(pod)) {
          this.clock.after(0, () => this.schedule(pod.metadata.namespace as string, pod.metadata.name));
        }
      }),
      this.store.subscribe(NODES, (event) => {
        if (this.unscheduled.size > 0 && event.type !== 'DELETED') this.scheduleRetry();
      }),
    );
    for (const pod of this.store.list(PODS)) {
      if (this.wants(pod)) this.schedule(pod.metadata.namespace as string, pod.metadata.name);
    }
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  private wants(pod: KubeObject): boolean {
    const spec = (pod.spec ?? {}) as { nodeName?: string; schedulerName?: string };
    return (
      !spec.nodeName &&
      (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
      !pod.metadata.deletionTimestamp
    );
  }

  private schedule(namespace: string, name: string): void {
    const pod = this.store.get(PODS, namespace, name);
    if (!pod || !this.wants(pod)) {
      this.unscheduled.delete(`${namespace}/${name}`);
      return;
    }
    const pinned = pinnedNodeNames(pod);
    const candidates = pinned
      ? pinned.map((n) => this.store.get(NODES, undefined, n)).filter((n): n is KubeObject => n !== undefined)
      : this.store.list(NODES);
    const reasons: string[] = [];
    const chosen = candidates.find((node) => {
      const reason = unfitReason(pod, node);
      if (reason) reasons.push(reason);
      return reason === null;
    });
    const now = isoSeconds(this.clock.wallNow());
    if (!chosen) {
      const total = pinned ? this.store.list(NODES).length : candidates.length;
      const message = unschedulableMessage(
        [
          ...reasons,
          ...Array<string>(Math.max(0, total - reasons.length)).fill(
            "node(s) didn't match Pod's node affinity/selector",
          ),
        ],
        total,
      );
      const known = this.unscheduled.get(podKey(pod)) === pod.metadata.uid;
      this.unscheduled.set(podKey(pod), pod.metadata.uid as string);
      if (known) return;
      const stored = updateStatus(this.store, PODS, namespace, name, (p) => {
        p.status = {
          ...(p.status as object),
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              lastProbeTime: null,
              lastTransitionTime: now,
              reason: 'Unschedulable',
              message,
            },
          ],
        };
      });
      if (stored) {
        this.events.record({
          involved: stored,
          reason: 'FailedScheduling',
          message,
          type: 'Warning',
          component: 'default-scheduler',
        });
      }
      return;
    }
    this.unscheduled.delete(podKey(pod));
    const nodeName = chosen.metadata.name;
    // The binding: spec.nodeName, then the PodScheduled condition.
    const bound = updateObject(this.store, PODS, namespace, name, (p) => {
      if (p.metadata.uid !== pod.metadata.uid || nodeNameOf(p)) return;
      (p.spec as { nodeName?: string }).nodeName = nodeName;
    });
    if (!bound || nodeNameOf(bound) !== nodeName || bound.metadata.uid !== pod.metadata.uid) return;
    const stored = updateStatus(this.store, PODS, namespace, name, (p) => {
      p.status = {
        ...(p.status as object),
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now }],
      };
    });
    if (stored) {
      this.events.record({
        involved: stored,
        reason: 'Scheduled',
        message: `Successfully assigned ${namespace}/${name} to ${nodeName}`,
        type: 'Normal',
        component: 'default-scheduler',
      });
    }
  }

  private scheduleRetry(): void {
    if (this.retryPending) return;
    this.retryPending = true;
    this.clock.afterRealMs(RETRY_THROTTLE_MS, () => {
      this.retryPending = false;
      for (const key of [...this.unscheduled.keys()]) {
        const [namespace, name] = key.split('/') as [string, string];
        this.schedule(namespace, name);
      }
    });
  }
}
