/**
 * Every simulated node's kubelet and host against a real API server, over the Kubernetes REST API only (kwok-
 * style): Nodes and Leases (node-kubelet.ts), the pods bound to them (pod-manager.ts), the kubelet API for
 * container logs (kubelet-server.ts). The real controllers do the rest: the DaemonSet and Job controllers
 * create pods, the scheduler binds them, the node lifecycle controller marks silent nodes, TTL and the garbage
 * collector delete.
 */
import type { KubeRest } from '../../../src/kube/rest.js';
import type { SimClock } from '../actors/clock.js';
import type { NodeDirectory } from '../actors/node-directory.js';
import { isoSeconds } from '../actors/actor-store.js';
import type { ImageEntry, NodeOs } from '../actors/node-factory.js';
import type { SimRandom } from '../actors/random.js';
import { ContainerLogs } from './container-logs.js';
import { EventWriter } from './event-writer.js';
import { startKubeletServer, type KubeletServer } from './kubelet-server.js';
import { NodeKubelet } from './node-kubelet.js';
import { registrationNode } from './node-object.js';
import { PodManager } from './pod-manager.js';
import { PodStatusWriter } from './pod-status-writer.js';

/** kubelet's Monitor polls its canary every minute and re-creates its chains after a flush (simulated ms). */
const MONITOR_INTERVAL_MS = 60_000;

export interface SimNodesOptions {
  rest: KubeRest;
  clock: SimClock;
  random: SimRandom;
  /** The machines to play (all ready at start), with their hosts already built (and broken). */
  nodes: NodeDirectory;
  images: Record<NodeOs, ImageEntry[]>;
  /** Real milliseconds between Lease renewals; keep it well under the node monitor grace period. */
  leaseRenewMs: number;
  onError?: (what: string, err: unknown) => void;
}

export class SimNodes {
  private readonly kubelets = new Map<string, NodeKubelet>();
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;

  private constructor(
    private readonly options: SimNodesOptions,
    readonly pods: PodManager,
    readonly kubeletServer: KubeletServer,
    private readonly statusWriter: PodStatusWriter,
  ) {}

  /** Serves the kubelet API, registers every node with its Lease, and starts running their pods. */
  static async start(options: SimNodesOptions): Promise<SimNodes> {
    const onError = options.onError ?? ((what, err) => console.error(`sim nodes: ${what}:`, err));
    const logs = new ContainerLogs();
    const events = new EventWriter(options.rest, options.random, () => options.clock.wallNow());
    const status = new PodStatusWriter(options.rest, onError);
    const server = await startKubeletServer(logs);
    const pods = new PodManager({ ...options, logs, status, events, onError });
    const self = new SimNodes({ ...options, onError }, pods, server, status);
    try {
      const now = options.clock.wallNow();
      await Promise.all(
        options.nodes.all().map(async (machine) => {
          const node = registrationNode(
            machine.id,
            { random: options.random, images: options.images, createdWallMs: now, nowIso: isoSeconds(now) },
            server.port,
          );
          const kubelet = new NodeKubelet(node, {
            rest: options.rest,
            events,
            leaseRenewMs: options.leaseRenewMs,
            onError,
          });
          self.kubelets.set(machine.id.name, kubelet);
          await kubelet.register();
          self.watchHost(machine.id.name);
        }),
      );
      await pods.start();
    } catch (err) {
      await self.stop();
      throw err;
    }
    return self;
  }

  /** The node's kubelet stops (false: no Lease renewals, no status, no container starts) or starts again. */
  async setReady(name: string, ready: boolean): Promise<void> {
    this.options.nodes.setReady(name, ready);
    await this.kubelets.get(name)?.setRunning(ready);
    if (ready) this.pods.nodeStarted(name);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.all([...this.kubelets.values()].map((k) => k.stop()));
    await this.pods.stop();
    await this.statusWriter.idle();
    await this.kubeletServer.close();
  }

  private watchHost(name: string): void {
    const host = this.options.nodes.mustGet(name).host;
    if (!host) return;
    const { clock, onError } = this.options;
    this.unsubscribe.push(
      host.onKubeletRestart(() => {
        this.kubelets
          .get(name)
          ?.starting()
          .catch((err: unknown) => onError?.(`post the status of ${name}`, err));
        this.pods.kubeletRestarted(name);
      }),
      host.onIptablesFlush(() => {
        const cancel = clock.after(MONITOR_INTERVAL_MS, () => host.resyncAfterFlush());
        this.unsubscribe.push(cancel);
      }),
    );
  }
}
