/** kubelet running a container that simply runs (azure-npm on Windows, anything not simulated otherwise): Ready. */
import { isoSeconds } from '../actors/actor-store.js';
import type { TerminatedState } from '../actors/pod-status.js';
import {
  containerId,
  deferred,
  singleContainerStatus,
  type PodContext,
  type PodWorker,
} from './pod-worker.js';

export class ReadyContainer implements PodWorker {
  private readonly started = deferred();
  readonly firstStart = this.started.promise;
  private running = false;
  private stopped = false;
  private restartCount = 0;
  private startedAt: string | undefined;
  /** The pod's startTime: its first container start. */
  private podStartTime: string | undefined;
  private lastTerminated: TerminatedState | undefined;

  constructor(private readonly ctx: PodContext) {}

  start(): void {
    const { ctx } = this;
    const container = ctx.spec.containers[0];
    if (this.stopped || this.running || !ctx.machine.ready || !container) return;
    this.running = true;
    const startedAt = isoSeconds(ctx.clock.wallNow());
    this.startedAt = startedAt;
    this.podStartTime ??= startedAt;
    for (const c of ctx.spec.containers) ctx.logs.started(ctx.ref.namespace, ctx.ref.name, c.name, '');
    void ctx.status
      .write(
        ctx.ref,
        singleContainerStatus(ctx, {
          phase: 'Running',
          startTime: this.podStartTime,
          readySince: startedAt,
          container: {
            name: container.name,
            image: container.image ?? '',
            imageID: '',
            containerID: containerId(ctx.random),
            state: { running: { startedAt } },
            ...(this.lastTerminated ? { lastState: { terminated: this.lastTerminated } } : {}),
            ready: true,
            restartCount: this.restartCount,
          },
        }),
      )
      .finally(() => this.started.resolve());
  }

  adopt(): void {
    const { ctx } = this;
    if (this.stopped || this.running) return;
    this.running = true;
    this.startedAt = ctx.createdIso;
    this.podStartTime = ctx.createdIso;
    for (const c of ctx.spec.containers) ctx.logs.started(ctx.ref.namespace, ctx.ref.name, c.name, '');
    this.started.resolve();
  }

  kubeletRestarted(): void {}

  restartNow(): void {}

  rebooted(): void {
    if (this.stopped || !this.running) return;
    this.lastTerminated = {
      exitCode: 255,
      reason: 'Unknown',
      startedAt: this.startedAt ?? this.ctx.createdIso,
      finishedAt: isoSeconds(this.ctx.clock.wallNow()),
      containerID: containerId(this.ctx.random),
    };
    this.restartCount++;
    this.running = false;
    this.start();
  }

  stop(): void {
    this.stopped = true;
  }
}
