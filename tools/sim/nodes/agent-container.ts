/**
 * kubelet running `chainmedic agent ...` (restartPolicy Never): the real agent code in-process against the
 * node's SimHost (tools/sim/actors/agent-executor.ts); the container ends Terminated with its exit code and
 * termination message, and the pod Succeeded or Failed.
 */
import { isoSeconds } from '../actors/actor-store.js';
import { runJobContainer, type ContainerExit } from '../actors/agent-executor.js';
import { ClockStoppedError } from '../actors/clock.js';
import {
  containerId,
  deferred,
  singleContainerStatus,
  type PodContext,
  type PodWorker,
} from './pod-worker.js';

const INJECTED_FAILURE: ContainerExit = {
  exitCode: 1,
  reason: 'Error',
  log: 'chainmedic sim: injected failure (failNextJob)\n',
};

export class AgentContainer implements PodWorker {
  private readonly started = deferred();
  readonly firstStart = this.started.promise;
  private begun = false;
  private stopped = false;

  constructor(private readonly ctx: PodContext) {}

  start(): void {
    const { ctx } = this;
    const container = ctx.spec.containers[0];
    if (this.stopped || this.begun || !ctx.machine.ready || !container) return;
    this.begun = true;
    const { namespace, name } = ctx.ref;
    const startedAt = isoSeconds(ctx.clock.wallNow());
    const id = containerId(ctx.random);
    const base = {
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      containerID: id,
      restartCount: 0,
    };
    ctx.logs.started(namespace, name, container.name, '');
    void ctx.status
      .write(
        ctx.ref,
        singleContainerStatus(ctx, {
          phase: 'Running',
          startTime: startedAt,
          readySince: startedAt,
          container: { ...base, state: { running: { startedAt } }, ready: true },
        }),
      )
      .finally(() => this.started.resolve());
    const run = ctx.takeJobFailure(ctx.machine.id.name)
      ? Promise.resolve(INJECTED_FAILURE)
      : runJobContainer(ctx.machine, container, ctx.clock);
    run.then(
      async (exit) => {
        // A container that ended while its kubelet was stopped is reported once the kubelet runs again.
        await ctx.whenNodeRuns();
        if (this.stopped) return;
        ctx.logs.append(namespace, name, container.name, exit.log);
        const finishedAt = isoSeconds(ctx.clock.wallNow());
        const failed = exit.exitCode !== 0;
        void ctx.status.write(
          ctx.ref,
          singleContainerStatus(ctx, {
            phase: failed ? 'Failed' : 'Succeeded',
            startTime: startedAt,
            readySince: finishedAt,
            container: {
              ...base,
              state: {
                terminated: {
                  exitCode: exit.exitCode,
                  reason: exit.reason,
                  ...(exit.message !== undefined ? { message: exit.message } : {}),
                  startedAt,
                  finishedAt,
                  containerID: id,
                },
              },
              ready: false,
            },
          }),
        );
      },
      (err: unknown) => {
        if (!(err instanceof ClockStoppedError)) ctx.onError(`run the agent in ${namespace}/${name}`, err);
      },
    );
  }

  /** An agent is never found running: it runs to completion from its start. */
  adopt(): void {
    this.start();
  }

  kubeletRestarted(): void {}

  restartNow(): void {}

  /** Not simulated: an agent container (restartPolicy Never) runs to its end across a reboot. */
  rebooted(): void {}

  stop(): void {
    this.stopped = true;
  }
}
