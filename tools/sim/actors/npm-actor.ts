import { DAEMONSETS, PODS, type KubeObject } from '../api/types.js';
import { isoSeconds, updateStatus, type ActorStore } from './actor-store.js';
import { backoffAfterCrash, formatBackoff } from './backoff.js';
import type { SimClock } from './clock.js';
import type { EventRecorder } from './event-recorder.js';
import type { NodeDirectory, SimMachine } from './node-directory.js';
import type { NodeOs } from './node-factory.js';
import { runNpmDetection } from './npm-detection.js';
import {
  NPM_CONTAINER,
  NPM_NAMESPACE,
  buildNpmDaemonSet,
  buildNpmPod,
  daemonSetName,
  npmImage,
} from './npm-objects.js';
import {
  backOffEventMessage,
  crashLoopMessage,
  podStatus,
  type ContainerView,
  type TerminatedState,
} from './pod-status.js';
import type { SimRandom } from './random.js';

/** One azure-npm pod as its kubelet remembers it. */
interface NpmPod {
  name: string;
  uid: string;
  machine: SimMachine;
  createdIso: string;
  restartCount: number;
  /** Crashes since kubelet last forgot its back-off (it forgets on restart). */
  crashes: number;
  running: boolean;
  lastTerminated?: TerminatedState;
  readySince: string;
  cancelRestart?: () => void;
  /** The container is due to start but its node's kubelet does not run. */
  waitingForNode: boolean;
}

const IMAGE_ID =
  'mcr.microsoft.com/containernetworking/azure-npm@sha256:3c1c5b2c8e8f0a9d5b7e6f4a1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4';

/**
 * Plays the azure-npm DaemonSets: the DaemonSet controller (one pod per matching
 * node, recreated when deleted) and, per node, kubelet running azure-npm's
 * container (detection, crash, CrashLoopBackOff with BackOff events, retry).
 */
export class AzureNpmActor {
  private readonly pods = new Map<string, NpmPod>(); // by node name
  private readonly daemonSetUids = new Map<NodeOs, string>();
  private readonly unsubscribe: Array<() => void> = [];
  private dsStatusPending = false;

  constructor(
    private readonly store: ActorStore,
    private readonly clock: SimClock,
    private readonly random: SimRandom,
    private readonly nodes: NodeDirectory,
    private readonly events: EventRecorder,
  ) {}

  /** Creates both DaemonSets and a running pod on every node, directly in the store. */
  bootstrap(): void {
    const machines = this.nodes.all();
    const created = isoSeconds(this.clock.wallNow() - 86_400_000);
    for (const os of ['linux', 'windows'] as const) {
      const count = machines.filter((m) => m.id.os === os).length;
      const ds = this.store.create(DAEMONSETS, buildNpmDaemonSet(os, '', created, count));
      this.daemonSetUids.set(os, ds.metadata.uid as string);
    }
    for (const machine of machines) this.createPod(machine, false);
    this.unsubscribe.push(
      this.store.subscribe(PODS, (event) => {
        if (event.type === 'DELETED') this.onPodDeleted(event.object);
      }),
      this.nodes.onReadyChange((machine) => {
        const pod = this.pods.get(machine.id.name);
        if (machine.ready && pod?.waitingForNode) this.startContainer(pod);
      }),
    );
    for (const machine of machines) {
      if (!machine.host) continue;
      this.unsubscribe.push(machine.host.onKubeletRestart(() => this.onKubeletRestart(machine.id.name)));
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const pod of this.pods.values()) pod.cancelRestart?.();
  }

  podName(node: string): string | undefined {
    return this.pods.get(node)?.name;
  }

  /** The container exits and kubelet starts it again at once (what a reboot or a kill does). */
  restartContainerNow(node: string): void {
    const pod = this.pods.get(node);
    if (!pod) return;
    pod.cancelRestart?.();
    pod.crashes = 0;
    this.startContainer(pod);
  }

  private createPod(machine: SimMachine, viaController: boolean): void {
    const os = machine.id.os;
    let name = '';
    do name = `${daemonSetName(os)}-${this.random.nameSuffix()}`;
    while (this.store.get(PODS, NPM_NAMESPACE, name));
    const createdIso = isoSeconds(this.clock.wallNow());
    const object = buildNpmPod(
      {
        name,
        uid: '',
        nodeName: machine.id.name,
        nodeIp: machine.id.internalIp,
        os,
        daemonSetUid: this.daemonSetUids.get(os) as string,
      },
      createdIso,
    );
    const pod: NpmPod = {
      name,
      uid: '',
      machine,
      createdIso,
      restartCount: 0,
      crashes: 0,
      running: false,
      readySince: createdIso,
      waitingForNode: false,
    };
    if (!viaController && this.healthyAtStart(machine)) {
      // Bootstrap: the pod has been running for a while already; one write instead of three.
      pod.running = true;
      object.status = podStatus(this.view(pod, { running: { startedAt: createdIso } }, true));
      const stored = this.store.create(PODS, object);
      pod.uid = stored.metadata.uid as string;
      this.pods.set(machine.id.name, pod);
      if (machine.host)
        this.setLog(pod, { current: runNpmDetection(machine.host, this.clock.wallNow()).log });
      return;
    }
    const stored = this.store.create(PODS, object);
    pod.uid = stored.metadata.uid as string;
    this.pods.set(machine.id.name, pod);
    this.startContainer(pod);
  }

  private healthyAtStart(machine: SimMachine): boolean {
    return machine.ready && (!machine.host || runNpmDetection(machine.host, 0).backend !== null);
  }

  private onPodDeleted(object: KubeObject): void {
    const node = (object.spec as { nodeName?: string } | undefined)?.nodeName;
    const pod = node === undefined ? undefined : this.pods.get(node);
    if (!pod || pod.uid !== object.metadata.uid) return;
    pod.cancelRestart?.();
    this.pods.delete(pod.machine.id.name);
    this.events.forget(pod.uid);
    // The DaemonSet controller notices and creates a replacement, started without back-off.
    this.clock.after(0, () => {
      if (!this.pods.has(pod.machine.id.name)) this.createPod(pod.machine, true);
    });
  }

  /** kubelet keeps container back-off in memory: a restarted kubelet starts a waiting container promptly. */
  private onKubeletRestart(node: string): void {
    const pod = this.pods.get(node);
    if (!pod || pod.running) return;
    pod.cancelRestart?.();
    pod.crashes = 0;
    this.clock.after(1_000, () => this.startContainer(pod));
  }

  private startContainer(pod: NpmPod): void {
    pod.cancelRestart = undefined;
    if (this.pods.get(pod.machine.id.name) !== pod) return;
    if (!pod.machine.ready) {
      pod.waitingForNode = true;
      return;
    }
    pod.waitingForNode = false;
    const now = this.clock.wallNow();
    const startedAt = isoSeconds(now);
    const host = pod.machine.host;
    const detection = host ? runNpmDetection(host, now) : { backend: 'windows', log: '' };
    if (detection.backend !== null) {
      pod.running = true;
      pod.readySince = startedAt;
      this.writeStatus(pod, { running: { startedAt } }, true);
      this.setLog(pod, { current: detection.log });
      return;
    }
    // azure-npm exits within a second of starting; kubelet then backs off.
    if (pod.running) pod.readySince = startedAt;
    pod.running = false;
    pod.crashes++;
    pod.restartCount++;
    pod.lastTerminated = {
      exitCode: 1,
      reason: 'Error',
      startedAt,
      finishedAt: isoSeconds(now + 1_000),
      containerID: `containerd://${this.random.hex(64)}`,
    };
    const backoff = backoffAfterCrash(pod.crashes);
    const message = crashLoopMessage(formatBackoff(backoff), NPM_CONTAINER, pod.name, NPM_NAMESPACE, pod.uid);
    const stored = this.writeStatus(pod, { waiting: { reason: 'CrashLoopBackOff', message } }, false);
    this.setLog(pod, { previous: detection.log, current: detection.log });
    if (stored) {
      this.events.record({
        involved: stored,
        reason: 'BackOff',
        message: backOffEventMessage(NPM_CONTAINER, pod.name, NPM_NAMESPACE, pod.uid),
        type: 'Warning',
        component: 'kubelet',
        host: pod.machine.id.name,
        fieldPath: `spec.containers{${NPM_CONTAINER}}`,
      });
    }
    pod.cancelRestart = this.clock.after(backoff, () => this.startContainer(pod));
  }

  private view(pod: NpmPod, state: ContainerView['state'], ready: boolean) {
    const os = pod.machine.id.os;
    return {
      phase: 'Running' as const,
      hostIp: pod.machine.id.internalIp,
      podIp: os === 'linux' ? pod.machine.id.internalIp : undefined,
      startTime: pod.createdIso,
      scheduledAt: pod.createdIso,
      readySince: pod.readySince,
      container: {
        name: NPM_CONTAINER,
        image: npmImage(os),
        imageID: IMAGE_ID,
        containerID:
          'running' in state ? `containerd://${this.random.hex(64)}` : pod.lastTerminated?.containerID,
        state,
        ...(pod.lastTerminated ? { lastState: { terminated: pod.lastTerminated } } : {}),
        ready,
        restartCount: pod.restartCount,
      },
    };
  }

  private writeStatus(pod: NpmPod, state: ContainerView['state'], ready: boolean): KubeObject | undefined {
    const stored = updateStatus(this.store, PODS, NPM_NAMESPACE, pod.name, (object) => {
      object.status = podStatus(this.view(pod, state, ready));
    });
    this.scheduleDaemonSetStatus();
    return stored;
  }

  private setLog(pod: NpmPod, logs: { current?: string; previous?: string }): void {
    try {
      this.store.setPodLog(NPM_NAMESPACE, pod.name, NPM_CONTAINER, logs);
    } catch {
      // The pod went away meanwhile.
    }
  }

  /** The DaemonSet controller's counters, written once per burst of pod changes. */
  private scheduleDaemonSetStatus(): void {
    if (this.dsStatusPending) return;
    this.dsStatusPending = true;
    this.clock.after(0, () => {
      this.dsStatusPending = false;
      for (const os of ['linux', 'windows'] as const) {
        const pods = [...this.pods.values()].filter((p) => p.machine.id.os === os);
        const ready = pods.filter((p) => p.running).length;
        updateStatus(this.store, DAEMONSETS, NPM_NAMESPACE, daemonSetName(os), (ds) => {
          ds.status = {
            ...(ds.status as object),
            currentNumberScheduled: pods.length,
            desiredNumberScheduled: pods.length,
            numberReady: ready,
            numberAvailable: ready,
            updatedNumberScheduled: pods.length,
            ...(pods.length - ready > 0 ? { numberUnavailable: pods.length - ready } : {}),
          };
          if (pods.length - ready === 0) delete (ds.status as Record<string, unknown>).numberUnavailable;
        });
      }
    });
  }
}
