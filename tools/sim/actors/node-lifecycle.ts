/**
 * The in-memory plane's node lifecycle controller: every `monitorPeriodMs` it compares each node's Lease (in
 * kube-node-lease, renewed by the simulated kubelets) with the grace period; a node whose Lease is older gets its
 * kubelet-owned conditions Unknown ("Kubelet stopped posting node status.") and the unreachable NoSchedule and
 * NoExecute taints. Once its kubelet posts Ready again, the taints go.
 */
import type { SimStoreImpl } from '../api/store.js';
import { LEASES, NODES, type KubeObject } from '../api/types.js';
import { isoSeconds, updateObject, updateStatus } from './actor-store.js';
import type { SimClock } from './clock.js';
import type { NodeCondition } from './node-factory.js';

const UNREACHABLE = 'node.kubernetes.io/unreachable';
const LEASE_NAMESPACE = 'kube-node-lease';
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface NodeLifecycleOptions {
  /** Real milliseconds between checks (kube-controller-manager --node-monitor-period). */
  monitorPeriodMs: number;
  /** Real milliseconds a Lease may age before its node is Unknown (--node-monitor-grace-period). */
  gracePeriodMs: number;
}

const readyOf = (node: KubeObject) =>
  ((node.status as { conditions?: NodeCondition[] } | undefined)?.conditions ?? []).find(
    (c) => c.type === 'Ready',
  )?.status;
const taintsOf = (node: KubeObject) => (node.spec as { taints?: Taint[] } | undefined)?.taints ?? [];

export class NodeLifecycleController {
  private stopTimer: (() => void) | undefined;
  /** When each node was first seen, for nodes whose Lease does not exist yet. */
  private readonly firstSeen = new Map<string, number>();
  private lastCheck = Date.now();
  /**
   * The end of the last pause of this process (a busy machine, a long garbage collection). The kubelets run in
   * this process too: a pause stops their renewals as much as this controller, so the grace period is counted
   * from there, never across it. A real controller and real kubelets do not pause together.
   */
  private resumedAt = Date.now();

  constructor(
    private readonly store: SimStoreImpl,
    private readonly clock: SimClock,
    private readonly options: NodeLifecycleOptions,
  ) {}

  start(): void {
    this.stopTimer = this.clock.everyRealMs(this.options.monitorPeriodMs, () => this.check());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** One pass over every node. */
  check(): void {
    const now = Date.now();
    if (now - this.lastCheck > 2 * this.options.monitorPeriodMs + 1_000) this.resumedAt = now;
    this.lastCheck = now;
    // The stored objects themselves, read only: a copy of every Node each period would cost more than the check.
    for (const { object: node } of this.store.listPage(NODES).entries) {
      const name = node.metadata.name;
      const lease = this.store.getEntry(LEASES, LEASE_NAMESPACE, name)?.object;
      const renew = (lease?.spec as { renewTime?: string } | undefined)?.renewTime;
      let renewedMs = renew ? Date.parse(renew) : NaN;
      if (Number.isNaN(renewedMs)) {
        if (!this.firstSeen.has(name)) this.firstSeen.set(name, now);
        renewedMs = this.firstSeen.get(name) as number;
      }
      const silent = now - Math.max(renewedMs, this.resumedAt) > this.options.gracePeriodMs;
      const ready = readyOf(node);
      if (silent && ready !== 'Unknown') this.markUnknown(name);
      else if (ready === 'True' && taintsOf(node).some((t) => t.key === UNREACHABLE)) this.untaint(name);
    }
  }

  private markUnknown(name: string): void {
    const now = isoSeconds(this.clock.wallNow());
    updateStatus(this.store, NODES, undefined, name, (node) => {
      const status = node.status as { conditions?: NodeCondition[] };
      // Every kubelet-owned condition goes Unknown, keeping the last heartbeat.
      status.conditions = (status.conditions ?? []).map((c) =>
        KUBELET_CONDITIONS.includes(c.type)
          ? {
              ...c,
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastTransitionTime: now,
            }
          : c,
      );
    });
    updateObject(this.store, NODES, undefined, name, (node) => {
      const spec = (node.spec ?? (node.spec = {})) as { taints?: Taint[] };
      spec.taints = [
        ...(spec.taints ?? []).filter((t) => t.key !== UNREACHABLE),
        { key: UNREACHABLE, effect: 'NoSchedule', timeAdded: now },
        { key: UNREACHABLE, effect: 'NoExecute', timeAdded: now },
      ];
    });
  }

  private untaint(name: string): void {
    updateObject(this.store, NODES, undefined, name, (node) => {
      const spec = (node.spec ?? (node.spec = {})) as { taints?: Taint[] };
      const taints = (spec.taints ?? []).filter((t) => t.key !== UNREACHABLE);
      if (taints.length > 0) spec.taints = taints;
      else delete spec.taints;
    });
  }
}
