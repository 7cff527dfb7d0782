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
import { nodeLease, registrationNode } from './node-object.js';
import type { KubeObject } from '../api/types.js';
import { statusBeforeStart } from './pod-worker.js';
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
  /** Extra node status posts per real second across all nodes, round robin (kubelet's status updates); 0: none. */
  statusPostsPerSecond?: number;
  /**
   * Nodes that registered before the simulation began: the memory plane stores each Node and Lease itself (one
   * write each, no requests) and the kubelets only renew their Leases. Default: every kubelet registers through
   * the API, posts its status and a Starting Event.
   */
  registered?: { storeNode(node: KubeObject): KubeObject; storeLease(lease: KubeObject): void };
  /**
   * Runs once every node is registered, before the kubelets list their pods (the memory plane's controllers place
   * the first pods there: one paged list then brings them all, instead of a watch event each).
   */
  beforePods?: (nodes: SimNodes) => void;
  onError?: (what: string, err: unknown) => void;
}

const STATUS_TICK_MS = 100;
/** Nodes registering at the same time. */
const REGISTER_CONCURRENCY = 32;

export class SimNodes {
  private readonly kubelets = new Map<string, NodeKubelet>();
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;
  private cursor = 0;
  private budget = 0;

  private constructor(
    private readonly options: SimNodesOptions,
    readonly pods: PodManager,
    readonly kubeletServer: KubeletServer,
    private readonly statusWriter: PodStatusWriter,
    /** What the containers printed, as the kubelet API serves it. */
    readonly logs: ContainerLogs,
  ) {}

  /** Serves the kubelet API, registers every node with its Lease, and starts running their pods. */
  static async start(options: SimNodesOptions): Promise<SimNodes> {
    const onError = options.onError ?? ((what, err) => console.error(`sim nodes: ${what}:`, err));
    const logs = new ContainerLogs();
    const events = new EventWriter(options.rest, options.random, () => options.clock.wallNow());
    const status = new PodStatusWriter(options.rest, onError);
    const server = await startKubeletServer(logs);
    const pods = new PodManager({ ...options, logs, status, events, onError });
    const self = new SimNodes({ ...options, onError }, pods, server, status, logs);
    try {
      const now = options.clock.wallNow();
      const machines = options.nodes.all();
      // Built in order (the seed's random), registered a few at a time: thousands of requests at once would
      // exhaust the sockets.
      const nodes = machines.map((machine) =>
        registrationNode(
          machine.id,
          { random: options.random, images: options.images, createdWallMs: now, nowIso: isoSeconds(now) },
          server.port,
        ),
      );
      let next = 0;
      let failed = false;
      const register = async (): Promise<void> => {
        for (let i = next++; i < machines.length && !failed; i = next++) {
          const machine = machines[i]!;
          const kubelet = new NodeKubelet(nodes[i]!, {
            rest: options.rest,
            events,
            leaseRenewMs: options.leaseRenewMs,
            onError,
          });
          self.kubelets.set(machine.id.name, kubelet);
          if (options.registered) {
            const stored = options.registered.storeNode(nodes[i]!);
            const uid = stored.metadata.uid as string;
            options.registered.storeLease(nodeLease(machine.id.name, uid, Date.now()));
            kubelet.adopt(uid);
          } else {
            await kubelet.register();
          }
          self.watchHost(machine.id.name);
        }
      };
      // On a failure the other workers stop taking nodes, and every one ends before the cleanup: no kubelet
      // registered after the stop keeps renewing its Lease (and the process alive).
      const workers = Array.from({ length: Math.min(REGISTER_CONCURRENCY, machines.length) }, () =>
        register().catch((err: unknown) => {
          failed = true;
          throw err;
        }),
      );
      const failure = (await Promise.allSettled(workers)).find((r) => r.status === 'rejected');
      if (failure) throw failure.reason;
      options.beforePods?.(self);
      await pods.start();
      const rate = options.statusPostsPerSecond ?? 0;
      if (rate > 0)
        self.unsubscribe.push(options.clock.everyRealMs(STATUS_TICK_MS, () => self.postStatuses(rate)));
    } catch (err) {
      await self.stop();
      throw err;
    }
    return self;
  }

  /**
   * The status of a pod its node's kubelet ran before the simulation began (the memory plane's first pods), or
   * undefined if it would not be running (an azure-npm whose detection fails starts crash-looping instead).
   */
  statusBeforeStart(pod: KubeObject): Record<string, unknown> | undefined {
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const machine = node === undefined ? undefined : this.options.nodes.get(node);
    if (!machine?.ready) return undefined;
    return statusBeforeStart(pod, machine, this.options.clock, this.options.random);
  }

  /** The node's kubelet stops (false: no Lease renewals, no status, no container starts) or starts again. */
  async setReady(name: string, ready: boolean): Promise<void> {
    this.options.nodes.setReady(name, ready);
    await this.kubelets.get(name)?.setRunning(ready);
    if (ready) this.pods.nodeStarted(name);
  }

  /**
   * The machine reboots: on Linux its host boots again (tools/sim/actors/host.ts `reboot`: chains re-created by
   * kubelet's init, or missing with `loseRace`), its kubelet posts the new `status.nodeInfo.bootID` and a Starting
   * Event, and every container on it starts again. Its kubelet must be running.
   */
  reboot(name: string, options: { loseRace?: boolean } = {}): void {
    const machine = this.options.nodes.mustGet(name);
    if (!machine.ready) throw new Error(`node ${JSON.stringify(name)}: its kubelet is stopped`);
    if (options.loseRace && !machine.host) {
      throw new Error(`node ${JSON.stringify(name)}: loseRace applies to Linux nodes only`);
    }
    machine.host?.reboot(this.options.clock.wallNow(), options);
    this.kubelets
      .get(name)
      ?.rebooted(this.options.random.uid())
      .catch((err: unknown) => this.options.onError?.(`post the status of ${name} after its reboot`, err));
    this.pods.rebooted(name);
  }

  /** The node's current boot ID, as its kubelet posts it. */
  bootId(name: string): string | undefined {
    return this.kubelets.get(name)?.currentBootId;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.all([...this.kubelets.values()].map((k) => k.stop()));
    await this.pods.stop();
    this.statusWriter.close();
    await this.statusWriter.idle();
    await this.kubeletServer.close();
  }

  /** This tick's share of the status posts, round robin over the nodes whose kubelet runs. */
  private postStatuses(perSecond: number): void {
    this.budget += (perSecond * STATUS_TICK_MS) / 1000;
    const kubelets = [...this.kubelets.values()];
    let posts = Math.floor(this.budget);
    this.budget -= posts;
    for (let scanned = 0; posts > 0 && scanned < kubelets.length; scanned++) {
      const kubelet = kubelets[this.cursor % kubelets.length];
      this.cursor = (this.cursor + 1) % kubelets.length;
      if (!kubelet?.running) continue;
      kubelet.heartbeat();
      posts--;
    }
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
