/** What the kubelet's pod manager knows of one running pod (tools/sim/nodes/pod-manager.ts). */
import type { SimClock } from '../actors/clock.js';
import type { SimMachine } from '../actors/node-directory.js';
import { podStatus, type ContainerView, type PodView } from '../actors/pod-status.js';
import type { SimRandom } from '../actors/random.js';
import type { ContainerLogs } from './container-logs.js';
import type { EventWriter } from './event-writer.js';
import { NODE_ADDRESS } from './node-object.js';
import type { PodSpecLike } from './pod-kind.js';
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
  /** The node's kubelet restarted: a container waiting out its back-off starts again soon. */
  kubeletRestarted(): void;
  /** The container exits and starts again at once (the host changed under it). */
  restartNow(): void;
  /** Stops the containers: no more starts, no more writes. */
  stop(): void;
  /** Resolves once a container has started at least once (crashed or not). */
  readonly firstStart: Promise<void>;
}

/** A pod status for the pod's one container (its siblings, if any, shown running as it is). */
export function singleContainerStatus(
  ctx: PodContext,
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
