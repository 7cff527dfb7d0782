/**
 * The pod side of every simulated node's kubelet: one informer on the pods bound to a node, a worker per pod
 * bound to a simulated node (by kind: tools/sim/nodes/pod-kind.ts), started while the node's kubelet runs, and
 * deletions finished as kubelet finishes them: containers stopped, then DELETE with grace 0 for that uid.
 */
import { isNotFound } from '../../../src/kube/errors.js';
import { Informer, type InformerEvent } from '../../../src/kube/informer.js';
import type { KubeRest } from '../../../src/kube/rest.js';
import type { SimClock } from '../actors/clock.js';
import type { NodeDirectory } from '../actors/node-directory.js';
import type { SimRandom } from '../actors/random.js';
import { isoSeconds } from '../actors/actor-store.js';
import type { KubeObject } from '../api/types.js';
import { AgentContainer } from './agent-container.js';
import type { ContainerLogs } from './container-logs.js';
import type { EventWriter } from './event-writer.js';
import { NpmContainer } from './npm-container.js';
import { npmImageOn, setPodNpmImage } from './npm-image.js';
import { podKind, type PodSpecLike } from './pod-kind.js';
import type { PodStatusWriter } from './pod-status-writer.js';
import { runsAlready, type PodContext, type PodWorker } from './pod-worker.js';
import { ReadyContainer } from './ready-container.js';

export interface PodManagerOptions {
  rest: KubeRest;
  nodes: NodeDirectory;
  clock: SimClock;
  random: SimRandom;
  logs: ContainerLogs;
  status: PodStatusWriter;
  events: EventWriter;
  onError(what: string, err: unknown): void;
}

interface Entry {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  kind: ReturnType<typeof podKind>;
  worker: PodWorker;
  /** The first container's image in the pod's spec, as last seen or set. */
  image: string;
  /** The pod has a deletionTimestamp: its kubelet finishes the deletion once it runs. */
  deletionRequested: boolean;
  deleting: boolean;
}

const refOf = (pod: KubeObject) => ({
  namespace: pod.metadata.namespace as string,
  name: pod.metadata.name,
  uid: pod.metadata.uid as string,
});

export class PodManager {
  private readonly informer: Informer<KubeObject>;
  private readonly pods = new Map<string, Entry>(); // by uid
  private readonly failNext = new Set<string>();
  private readonly deletions = new Set<Promise<unknown>>();
  /** Nodes whose azure-npm container has started at least once, and who waits for that. */
  private readonly npmStarted = new Set<string>();
  private readonly npmWaiters = new Map<string, Array<() => void>>();

  constructor(private readonly options: PodManagerOptions) {
    this.informer = new Informer<KubeObject>({
      rest: options.rest,
      path: '/api/v1/pods',
      fieldSelector: 'spec.nodeName!=',
      transform: (raw) => raw as KubeObject,
      onError: (err) => options.onError('watch pods', err),
      // A watch that failed resumes within a second (the default doubles up to 30 s).
      backoffMaxMs: 1_000,
    });
    this.informer.on((event) => this.handle(event));
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    for (const entry of this.pods.values()) entry.worker.stop();
    await Promise.allSettled([...this.deletions]);
  }

  failNextJob(node: string): void {
    this.failNext.add(node);
  }

  /** The node's kubelet started again: it starts the containers due. */
  nodeStarted(node: string): void {
    for (const entry of this.onNode(node)) {
      if (entry.deletionRequested) this.finishDeletion(entry);
      else {
        this.options.status.resync(entry.uid);
        entry.worker.start();
      }
    }
    // Finished pods deleted meanwhile (they have no worker).
    for (const pod of this.informer.list()) {
      const onNode = (pod.spec as PodSpecLike | undefined)?.nodeName === node;
      if (onNode && pod.metadata.deletionTimestamp && !this.pods.has(pod.metadata.uid as string)) {
        this.delete(refOf(pod));
      }
    }
  }

  kubeletRestarted(node: string): void {
    for (const entry of this.onNode(node)) entry.worker.kubeletRestarted();
  }

  /**
   * The host changed under azure-npm (broken, repaired): its container exits and starts again at once, with the
   * image it now runs (tools/sim/nodes/npm-image.ts).
   */
  restartNpm(node: string): void {
    for (const entry of this.onNode(node)) {
      if (entry.kind !== 'azure-npm') continue;
      this.syncNpmImage(entry);
      entry.worker.restartNow();
    }
  }

  /** The machine rebooted: every container on it starts again. */
  rebooted(node: string): void {
    for (const entry of this.onNode(node)) if (!entry.deleting) entry.worker.rebooted();
  }

  /**
   * The node's current azure-npm pod (not being deleted); `running`: its container runs (on Linux: it passed its
   * detection when it last started).
   */
  npmPod(node: string): { name: string; running: boolean; firstStart: Promise<void> } | undefined {
    const entry = this.onNode(node).find(
      (e) => (e.kind === 'azure-npm' || e.kind === 'azure-npm-win') && !e.deleting,
    );
    if (!entry) return undefined;
    const running = entry.worker instanceof NpmContainer ? entry.worker.isRunning : true;
    return { name: entry.name, running, firstStart: entry.worker.firstStart };
  }

  /** Resolves once an azure-npm container has started on the node at least once (crashed or not). */
  whenNpmStarted(node: string): Promise<void> {
    if (this.npmStarted.has(node)) return Promise.resolve();
    return new Promise((resolve) =>
      this.npmWaiters.set(node, [...(this.npmWaiters.get(node) ?? []), resolve]),
    );
  }

  private onNode(node: string): Entry[] {
    return [...this.pods.values()].filter((e) => e.node === node);
  }

  private handle(event: InformerEvent<KubeObject>): void {
    const pod = event.object;
    const uid = pod.metadata.uid as string;
    if (event.type === 'delete') {
      this.forget(uid);
      return;
    }
    const spec = pod.spec as PodSpecLike | undefined;
    const machine = spec?.nodeName ? this.options.nodes.get(spec.nodeName) : undefined;
    if (!spec || !machine) return;
    let entry = this.pods.get(uid);
    if (!entry) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      // A pod that ran to completion before this kubelet knew it runs nothing: at most its deletion is finished.
      if (phase === 'Succeeded' || phase === 'Failed') {
        if (pod.metadata.deletionTimestamp && machine.ready) this.delete(refOf(pod));
        return;
      }
      entry = this.track(pod, spec, machine);
    } else {
      entry.image = spec.containers[0]?.image ?? '';
    }
    if (pod.metadata.deletionTimestamp) {
      entry.deletionRequested = true;
      // A stopped kubelet finishes nothing: the pod stays Terminating until its node runs again.
      if (machine.ready) this.finishDeletion(entry);
    }
  }

  private track(
    pod: KubeObject,
    spec: PodSpecLike,
    machine: NonNullable<ReturnType<NodeDirectory['get']>>,
  ): Entry {
    const { options } = this;
    const ref = refOf(pod);
    const ctx: PodContext = {
      ref,
      spec,
      createdIso:
        (pod.metadata.creationTimestamp as string | undefined) ?? isoSeconds(options.clock.wallNow()),
      machine,
      clock: options.clock,
      random: options.random,
      logs: options.logs,
      status: options.status,
      events: options.events,
      takeJobFailure: (node) => this.failNext.delete(node),
      whenNodeRuns: () => this.whenRuns(machine.id.name),
      onError: options.onError,
    };
    const kind = podKind(spec, machine.id.os);
    const worker =
      kind === 'azure-npm' && machine.host
        ? new NpmContainer(ctx, machine.host)
        : kind === 'agent'
          ? new AgentContainer(ctx)
          : new ReadyContainer(ctx);
    const entry: Entry = {
      ...ref,
      node: machine.id.name,
      kind,
      worker,
      image: spec.containers[0]?.image ?? '',
      deletionRequested: false,
      deleting: false,
    };
    this.pods.set(ref.uid, entry);
    if (kind === 'azure-npm' && !pod.metadata.deletionTimestamp) this.syncNpmImage(entry);
    if (kind === 'azure-npm' || kind === 'azure-npm-win') {
      void worker.firstStart.then(() => {
        this.npmStarted.add(entry.node);
        for (const resolve of this.npmWaiters.get(entry.node) ?? []) resolve();
        this.npmWaiters.delete(entry.node);
      });
    }
    if (pod.metadata.deletionTimestamp) return entry;
    if (runsAlready(pod) && machine.ready) worker.adopt();
    else worker.start();
    return entry;
  }

  /** Sets the image azure-npm runs on its host into the pod's spec, if it differs. */
  private syncNpmImage(entry: Entry): void {
    const wanted = npmImageOn(entry.image, this.options.nodes.get(entry.node)?.host);
    if (wanted === entry.image) return;
    entry.image = wanted;
    setPodNpmImage(this.options.rest, entry, wanted).catch((err: unknown) =>
      this.options.onError(`set the azure-npm image of ${entry.namespace}/${entry.name}`, err),
    );
  }

  /** Resolves once the node's kubelet runs (at once if it does). */
  private whenRuns(node: string): Promise<void> {
    const { nodes } = this.options;
    if (nodes.get(node)?.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const off = nodes.onReadyChange((machine) => {
        if (machine.id.name !== node || !machine.ready) return;
        off();
        resolve();
      });
    });
  }

  private finishDeletion(entry: Entry): void {
    if (entry.deleting) return;
    entry.deleting = true;
    entry.worker.stop();
    this.delete(entry);
  }

  /** As kubelet ends a pod whose containers stopped: DELETE with grace 0, for this uid only. */
  private delete(pod: { namespace: string; name: string; uid: string }): void {
    const deletion = this.options.rest
      .delete(`/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.uid },
      })
      .catch((err: unknown) => {
        if (!isNotFound(err)) this.options.onError(`delete pod ${pod.namespace}/${pod.name}`, err);
      });
    this.deletions.add(deletion);
    void deletion.finally(() => this.deletions.delete(deletion));
  }

  private forget(uid: string): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    entry.worker.stop();
    this.pods.delete(uid);
    this.options.status.forget(uid);
    this.options.events.forget(uid);
    this.options.logs.forgetPod(entry.namespace, entry.name);
  }
}
