import { NODES } from '../api/types.js';
import { isoSeconds, updateObject, updateStatus } from './actor-store.js';
import type { SimStore } from '../api/types.js';
import type { SimClock } from './clock.js';
import type { NodeDirectory } from './node-directory.js';
import { kubeletConditions, type NodeCondition } from './node-factory.js';

const TICK_MS = 100;
const MONITOR_INTERVAL_MS = 60_000;
const UNREACHABLE = 'node.kubernetes.io/unreachable';

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/**
 * Plays every node's kubelet status loop (heartbeats at a configurable cluster-wide
 * rate, through the status subresource) and the node lifecycle controller's reaction
 * when a kubelet stops posting (Ready Unknown, unreachable taints).
 */
export class KubeletActor {
  private cursor = 0;
  private budget = 0;
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly store: SimStore,
    private readonly clock: SimClock,
    private readonly nodes: NodeDirectory,
    private readonly churnPerSecond: number,
  ) {}

  start(): void {
    if (this.churnPerSecond > 0) this.stops.push(this.clock.everyRealMs(TICK_MS, () => this.tick()));
    for (const machine of this.nodes.all()) {
      const host = machine.host;
      if (!host) continue;
      this.stops.push(
        host.onKubeletRestart(() => this.heartbeat(machine.id.name)),
        // kubelet's Monitor polls its canary every minute and re-creates its chains after a flush.
        host.onIptablesFlush(() =>
          this.stops.push(this.clock.after(MONITOR_INTERVAL_MS, () => host.resyncAfterFlush())),
        ),
      );
    }
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  /** Posts a fresh status for one node, as kubelet does after a restart. */
  heartbeat(name: string): void {
    const machine = this.nodes.get(name);
    if (!machine?.ready) return;
    const now = isoSeconds(this.clock.wallNow());
    updateStatus(this.store, NODES, undefined, name, (node) => {
      const status = node.status as { conditions?: NodeCondition[] };
      status.conditions = kubeletConditions(true, now, status.conditions);
    });
  }

  /** Starts or stops a node's kubelet; the node lifecycle controller reflects it on the Node. */
  setReady(name: string, ready: boolean): void {
    this.nodes.setReady(name, ready);
    const now = isoSeconds(this.clock.wallNow());
    updateStatus(this.store, NODES, undefined, name, (node) => {
      const status = node.status as { conditions?: NodeCondition[] };
      if (ready) {
        status.conditions = kubeletConditions(true, now, status.conditions);
        return;
      }
      const previous = status.conditions ?? [];
      // The controller marks every kubelet-owned condition Unknown, keeping the last heartbeat.
      status.conditions = previous.map((c) =>
        ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].includes(c.type)
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
      const others = (spec.taints ?? []).filter((t) => t.key !== UNREACHABLE);
      const taints = ready
        ? others
        : [
            ...others,
            { key: UNREACHABLE, effect: 'NoSchedule' },
            { key: UNREACHABLE, effect: 'NoExecute', timeAdded: now },
          ];
      if (taints.length > 0) spec.taints = taints;
      else delete spec.taints;
    });
  }

  private tick(): void {
    this.budget += (this.churnPerSecond * TICK_MS) / 1000;
    const machines = this.nodes.all();
    if (machines.length === 0) return;
    let writes = Math.floor(this.budget);
    this.budget -= writes;
    for (let scanned = 0; writes > 0 && scanned < machines.length; scanned++) {
      const machine = machines[this.cursor % machines.length];
      this.cursor = (this.cursor + 1) % machines.length;
      if (!machine?.ready) continue;
      this.heartbeat(machine.id.name);
      writes--;
    }
  }
}
