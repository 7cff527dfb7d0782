/** Pure builders for pod status as kubelet reports it. */

export interface TerminatedState {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

export type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message?: string } }
  | { terminated: TerminatedState };

export interface ContainerView {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  lastState?: { terminated: TerminatedState };
  ready: boolean;
  restartCount: number;
}

export interface PodView {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  hostIp: string;
  podIp?: string;
  startTime: string;
  scheduledAt: string;
  /** When the readiness last changed. */
  readySince: string;
  container: ContainerView;
  reason?: string;
  message?: string;
}

const cond = (type: string, status: boolean, at: string, reason?: string, message?: string) => ({
  type,
  status: status ? 'True' : 'False',
  lastProbeTime: null,
  lastTransitionTime: at,
  ...(reason && !status ? { reason } : {}),
  ...(message && !status ? { message } : {}),
});

export function podStatus(view: PodView): Record<string, unknown> {
  const c = view.container;
  const done = view.phase === 'Succeeded' || view.phase === 'Failed';
  const started = 'running' in c.state;
  const unready = done ? undefined : `containers with unready status: [${c.name}]`;
  return {
    phase: view.phase,
    ...(view.reason ? { reason: view.reason } : {}),
    ...(view.message ? { message: view.message } : {}),
    conditions: [
      cond('PodReadyToStartContainers', !done, view.startTime),
      cond('Initialized', true, view.startTime, done ? 'PodCompleted' : undefined),
      cond('Ready', c.ready, view.readySince, done ? 'PodCompleted' : 'ContainersNotReady', unready),
      cond(
        'ContainersReady',
        c.ready,
        view.readySince,
        done ? 'PodCompleted' : 'ContainersNotReady',
        unready,
      ),
      cond('PodScheduled', true, view.scheduledAt),
    ],
    hostIP: view.hostIp,
    hostIPs: [{ ip: view.hostIp }],
    ...(view.podIp ? { podIP: view.podIp, podIPs: [{ ip: view.podIp }] } : {}),
    startTime: view.startTime,
    qosClass: 'Burstable',
    containerStatuses: [
      {
        name: c.name,
        state: c.state,
        lastState: c.lastState ?? {},
        ready: c.ready,
        restartCount: c.restartCount,
        image: c.image,
        imageID: c.imageID,
        ...(c.containerID ? { containerID: c.containerID } : {}),
        started,
      },
    ],
  };
}

/** What `kubectl describe` and the operator read while a container waits out its back-off. */
export function crashLoopMessage(
  backoff: string,
  container: string,
  pod: string,
  namespace: string,
  uid: string,
) {
  return `back-off ${backoff} restarting failed container=${container} pod=${pod}_${namespace}(${uid})`;
}

export function backOffEventMessage(container: string, pod: string, namespace: string, uid: string) {
  return `Back-off restarting failed container ${container} in pod ${pod}_${namespace}(${uid})`;
}
