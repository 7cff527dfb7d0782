/** What the kubelet's pod manager knows of one running pod (tools/sim/nodes/pod-manager.ts). */
import { isoSeconds } from '../actors/actor-store.js';
import type { SimClock } from '../actors/clock.js';
import { runNpmDetection } from '../actors/npm-detection.js';
import type { KubeObject } from '../api/types.js';
import type { SimMachine } from '../actors/node-directory.js';
import { podStatus, type ContainerView, type PodView } from '../actors/pod-status.js';
import type { SimRandom } from '../actors/random.js';
import type { ContainerLogs } from './container-logs.js';
import type { EventWriter } from './event-writer.js';
import { NODE_ADDRESS } from './node-object.js';
import { podKind, type PodSpecLike } from './pod-kind.js';
import type { PodRef, PodStatusWriter } from './pod-status-writer.js';

export interface PodContext {
  ref: PodRef;
  spec: PodSpecLike;
  /** When the pod was created (and scheduled): its PodScheduled time. */
  createdIso: string;
  machine: SimMachine;
  clock: SimClock;
  random: SimRandom;
  logs: ContainerLogs;
  status: PodStatusWriter;
  events: EventWriter;
  /** Whether the next agent container on this node must fail (consumes the request). */
  takeJobFailure(node: string): boolean;
  /** Resolves once the node's kubelet runs: a stopped kubelet reports nothing. */
  whenNodeRuns(): Promise<void>;
  onError(what: string, err: unknown): void;
}

export interface PodWorker {
  /** Starts the pod's containers (the node's kubelet runs). */
  start(): void;
  /**
   * The pod's status says its container runs (this kubelet ran it before the simulation began): it keeps running
   * as it is, with no status write, as a restarted kubelet finds its containers running.
   */
  adopt(): void;
  /** The node's kubelet restarted: a container waiting out its back-off starts again soon. */
  kubeletRestarted(): void;
  /** The container exits and starts again at once (the host changed under it). */
  restartNow(): void;
  /** The machine rebooted: a running container was lost with it and starts again (restartCount + 1). */
  rebooted(): void;
  /** Stops the containers: no more starts, no more writes. */
  stop(): void;
  /** Resolves once a container has started at least once (crashed or not). */
  readonly firstStart: Promise<void>;
}

/** A pod status for the pod's one container (its siblings, if any, shown running as it is). */
export function singleContainerStatus(
  ctx: Pick<PodContext, 'createdIso' | 'spec'>,
  view: Omit<PodView, 'hostIp' | 'podIp' | 'scheduledAt' | 'container'> & { container: ContainerView },
): Record<string, unknown> {
  const status = podStatus({
    ...view,
    hostIp: NODE_ADDRESS,
    podIp: NODE_ADDRESS,
    scheduledAt: ctx.createdIso,
  });
  const siblings = ctx.spec.containers.slice(1).map((c) => ({
    name: c.name,
    state: { running: { startedAt: view.startTime } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: c.image ?? '',
    imageID: '',
    started: true,
  }));
  if (siblings.length > 0) {
    status.containerStatuses = [...(status.containerStatuses as unknown[]), ...siblings];
  }
  return status;
}

export const containerId = (random: SimRandom) => `containerd://${random.hex(64)}`;

/** A promise with its resolve, for `firstStart`. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Whether a pod's status shows its (first) container running: what `adopt` takes over. */
export function runsAlready(pod: KubeObject): boolean {
  const status = pod.status as
    { phase?: string; containerStatuses?: Array<{ state?: { running?: unknown } }> } | undefined;
  return status?.phase === 'Running' && status.containerStatuses?.[0]?.state?.running !== undefined;
}

/**
 * The status of a pod its kubelet started before the simulation began: Running and Ready since its creation, or
 * undefined for what would not be running (an agent, an azure-npm whose detection fails on its host).
 */
export function statusBeforeStart(
  pod: KubeObject,
  machine: SimMachine,
  clock: SimClock,
  random: SimRandom,
): Record<string, unknown> | undefined {
  const spec = pod.spec as PodSpecLike | undefined;
  const container = spec?.containers[0];
  if (!spec || !container) return undefined;
  const kind = podKind(spec, machine.id.os);
  if (kind === 'agent') return undefined;
  if (
    kind === 'azure-npm' &&
    (!machine.host || runNpmDetection(machine.host, clock.wallNow()).backend === null)
  )
    return undefined;
  const createdIso = (pod.metadata.creationTimestamp as string | undefined) ?? isoSeconds(clock.wallNow());
  return singleContainerStatus(
    { createdIso, spec },
    {
      phase: 'Running',
      startTime: createdIso,
      readySince: createdIso,
      container: {
        name: container.name,
        image: container.image ?? '',
        imageID: '',
        containerID: containerId(random),
        state: { running: { startedAt: createdIso } },
        ready: true,
        restartCount: 0,
      },
    },
  );
}
