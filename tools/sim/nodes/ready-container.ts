/** kubelet running a container that simply runs (azure-npm on Windows, anything not simulated otherwise): Ready. */
import { isoSeconds } from '../actors/actor-store.js';
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

  constructor(private readonly ctx: PodContext) {}

  start(): void {
    const { ctx } = this;
    const container = ctx.spec.containers[0];
    if (this.stopped || this.running || !ctx.machine.ready || !container) return;
    this.running = true;
    const startedAt = isoSeconds(ctx.clock.wallNow());
    for (const c of ctx.spec.containers) ctx.logs.started(ctx.ref.namespace, ctx.ref.name, c.name, '');
    void ctx.status
      .write(
        ctx.ref,
        singleContainerStatus(ctx, {
          phase: 'Running',
          startTime: startedAt,
          readySince: startedAt,
          container: {
            name: container.name,
            image: container.image ?? '',
            imageID: '',
            containerID: containerId(ctx.random),
            state: { running: { startedAt } },
            ready: true,
            restartCount: 0,
          },
        }),
      )
      .finally(() => this.started.resolve());
  }

  adopt(): void {
    const { ctx } = this;
    if (this.stopped || this.running) return;
    this.running = true;
    for (const c of ctx.spec.containers) ctx.logs.started(ctx.ref.namespace, ctx.ref.name, c.name, '');
    this.started.resolve();
  }

  kubeletRestarted(): void {}

  restartNow(): void {}

  stop(): void {
    this.stopped = true;
  }
}
