/**
 * kubelet running azure-npm's Linux container: azure-npm's iptables detection against the node's SimHost at
 * every start; a failed detection exits 1, and kubelet restarts it after its back-off (10 s doubling to 5 min,
 * simulated time), showing CrashLoopBackOff, a Warning BackOff Event and both logs meanwhile. A running container
 * keeps what it detected until it starts again (a kubelet restart does not restart it; a reboot does).
 */
import { isoSeconds } from '../actors/actor-store.js';
import { backoffAfterCrash, formatBackoff } from '../actors/backoff.js';
import type { SimHost } from '../actors/host.js';
import { runNpmDetection } from '../actors/npm-detection.js';
import { NPM_CONTAINER } from '../actors/npm-objects.js';
import {
  backOffEventMessage,
  crashLoopMessage,
  type ContainerView,
  type TerminatedState,
} from '../actors/pod-status.js';
import {
  containerId,
  deferred,
  singleContainerStatus,
  type PodContext,
  type PodWorker,
} from './pod-worker.js';
import { imageIdOf, npmImageOn } from './npm-image.js';
/** kubelet restarted: it has forgotten its back-off and starts the waiting container within a second. */
const AFTER_KUBELET_RESTART_MS = 1_000;

export class NpmContainer implements PodWorker {
  private readonly started = deferred();
  readonly firstStart = this.started.promise;
  private restartCount = 0;
  /** Crashes since kubelet last forgot its back-off. */
  private crashes = 0;
  private running = false;
  private stopped = false;
  private lastTerminated: TerminatedState | undefined;
  private readySince: string;
  private cancelRestart: (() => void) | undefined;

  constructor(
    private readonly ctx: PodContext,
    private readonly host: SimHost,
  ) {
    this.readySince = ctx.createdIso;
  }

  /** Whether the container runs (it passed its detection at its last start). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Starts the container unless it runs or waits out its back-off. */
  start(): void {
    if (this.running || this.cancelRestart) return;
    this.run();
  }

  adopt(): void {
    if (this.stopped || this.running) return;
    const { ctx } = this;
    this.running = true;
    ctx.logs.started(
      ctx.ref.namespace,
      ctx.ref.name,
      NPM_CONTAINER,
      runNpmDetection(this.host, ctx.clock.wallNow()).log,
    );
    this.started.resolve();
  }

  kubeletRestarted(): void {
    if (this.stopped || this.running) return;
    this.cancelRestart?.();
    this.crashes = 0;
    this.cancelRestart = this.ctx.clock.after(AFTER_KUBELET_RESTART_MS, () => this.run());
  }

  restartNow(): void {
    if (this.stopped) return;
    this.crashes = 0;
    this.run();
  }

  rebooted(): void {
    if (this.stopped) return;
    if (this.running) {
      // The runtime lost the container with the machine: kubelet reports it so and starts a new one.
      const now = this.ctx.clock.wallNow();
      this.lastTerminated = {
        exitCode: 255,
        reason: 'Unknown',
        startedAt: this.readySince,
        finishedAt: isoSeconds(now),
        containerID: containerId(this.ctx.random),
      };
      this.running = false;
      this.restartCount++;
    }
    this.crashes = 0;
    this.run();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRestart?.();
    this.cancelRestart = undefined;
  }

  /** One container start; while the node's kubelet is down nothing starts (it starts when the node does). */
  private run(): void {
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    if (this.stopped || !this.ctx.machine.ready) return;
    const { ctx } = this;
    const { namespace, name, uid } = ctx.ref;
    const now = ctx.clock.wallNow();
    const startedAt = isoSeconds(now);
    const detection = runNpmDetection(this.host, now);
    ctx.logs.started(namespace, name, NPM_CONTAINER, detection.log);
    if (detection.backend !== null) {
      this.running = true;
      this.readySince = startedAt;
      void this.write({ running: { startedAt } }, true).then(() => this.started.resolve());
      return;
    }
    // azure-npm exits within a second of starting; kubelet then backs off.
    ctx.logs.ended(namespace, name, NPM_CONTAINER);
    if (this.running) this.readySince = startedAt;
    this.running = false;
    this.crashes++;
    this.restartCount++;
    this.lastTerminated = {
      exitCode: 1,
      reason: 'Error',
      startedAt,
      finishedAt: isoSeconds(now + 1_000),
      containerID: containerId(ctx.random),
    };
    const backoff = backoffAfterCrash(this.crashes);
    const message = crashLoopMessage(formatBackoff(backoff), NPM_CONTAINER, name, namespace, uid);
    this.cancelRestart = ctx.clock.after(backoff, () => this.run());
    void this.write({ waiting: { reason: 'CrashLoopBackOff', message } }, false)
      .then((stored) => {
        if (!stored || this.stopped) return;
        return ctx.events.record({
          involved: {
            apiVersion: 'v1',
            kind: 'Pod',
            name,
            namespace,
            uid,
            fieldPath: `spec.containers{${NPM_CONTAINER}}`,
          },
          reason: 'BackOff',
          message: backOffEventMessage(NPM_CONTAINER, name, namespace, uid),
          type: 'Warning',
          host: ctx.machine.id.name,
        });
      })
      .catch((err: unknown) => ctx.onError(`record BackOff of ${namespace}/${name}`, err))
      .finally(() => this.started.resolve());
  }

  private write(state: ContainerView['state'], ready: boolean) {
    const { ctx } = this;
    if (this.stopped) return Promise.resolve(undefined);
    const image = npmImageOn(ctx.spec.containers[0]?.image ?? '', this.host);
    const status = singleContainerStatus(ctx, {
      phase: 'Running',
      startTime: ctx.createdIso,
      readySince: this.readySince,
      container: {
        name: NPM_CONTAINER,
        image,
        imageID: imageIdOf(image),
        containerID: 'running' in state ? containerId(ctx.random) : this.lastTerminated?.containerID,
        state,
        ...(this.lastTerminated ? { lastState: { terminated: this.lastTerminated } } : {}),
        ready,
        restartCount: this.restartCount,
      },
    });
    return ctx.status.write(ctx.ref, status);
  }
}
