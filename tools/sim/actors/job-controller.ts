import { JOBS, NODES, PODS, type KubeObject } from '../api/types.js';
import { isoSeconds, updateObject, updateStatus, type ActorStore } from './actor-store.js';
import { runJobContainer, type ContainerExit, type ContainerSpec } from './agent-executor.js';
import { ClockStoppedError, type SimClock } from './clock.js';
import type { EventRecorder } from './event-recorder.js';
import {
  completeJobStatus,
  failedJobStatus,
  jobRetryDelayMs,
  runningJobStatus,
  type JobCounts,
  type JobFailureReason,
} from './job-status.js';
import type { NodeDirectory, SimMachine } from './node-directory.js';
import { podStatus, type ContainerView } from './pod-status.js';
import type { SimRandom } from './random.js';
import { pinnedNodeNames, unfitReason, unschedulableMessage } from './scheduling.js';

interface JobSpecView {
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: PodSpecView;
  };
}

interface PodSpecView {
  nodeName?: string;
  containers?: Array<ContainerSpec & { name: string }>;
  [key: string]: unknown;
}

interface JobRecord {
  namespace: string;
  name: string;
  uid: string;
  spec: JobSpecView;
  counts: JobCounts;
  finished: boolean;
  pod?: PodRecord;
  timers: Array<() => void>;
}

interface PodRecord {
  job: JobRecord;
  name: string;
  uid: string;
  createdIso: string;
  nodeName?: string;
  scheduledIso?: string;
  started: boolean;
  done: boolean;
}

const DEFAULT_BACKOFF_LIMIT = 6;
const RETRY_THROTTLE_MS = 100;

/**
 * Plays the Job controller, the scheduler (for Job pods) and the kubelet that runs
 * them: one pod at a time per Job (completions 1), placed like the scheduler does,
 * started only on a Ready node, and the agent run in-process on that node.
 */
export class JobController {
  private readonly jobs = new Map<string, JobRecord>(); // by uid
  private readonly unscheduled = new Set<PodRecord>();
  private readonly waitingForNode = new Set<PodRecord>();
  private readonly failNext = new Set<string>();
  private readonly stops: Array<() => void> = [];
  private retryPending = false;

  constructor(
    private readonly store: ActorStore,
    private readonly clock: SimClock,
    private readonly random: SimRandom,
    private readonly nodes: NodeDirectory,
    private readonly events: EventRecorder,
  ) {}

  start(): void {
    this.stops.push(
      this.store.subscribe(JOBS, (event) => {
        if (event.type === 'ADDED') this.defer(() => this.onJobAdded(event.object));
        else if (event.type === 'DELETED') this.onJobDeleted(event.object);
      }),
      this.store.subscribe(PODS, (event) => {
        if (event.type === 'DELETED') this.onPodDeleted(event.object);
      }),
      this.store.subscribe(NODES, (event) => {
        if (this.unscheduled.size > 0 && event.type !== 'DELETED') this.scheduleRetry();
      }),
      this.nodes.onReadyChange((machine) => {
        if (!machine.ready) return;
        for (const pod of [...this.waitingForNode]) {
          if (pod.nodeName === machine.id.name) this.defer(() => this.startPod(pod));
        }
      }),
    );
    for (const job of this.store.list(JOBS)) this.onJobAdded(job);
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
    for (const job of this.jobs.values()) for (const t of job.timers.splice(0)) t();
  }

  /** The next Job pod that starts on this node fails without running anything. */
  failNextJob(node: string): void {
    this.failNext.add(node);
  }

  private defer(fn: () => void): void {
    this.clock.after(0, fn);
  }

  private onJobAdded(job: KubeObject): void {
    const uid = job.metadata.uid as string;
    if (this.jobs.has(uid)) return;
    // Deferred from the ADDED event: the Job may be gone (or replaced) by now.
    if (this.store.get(JOBS, job.metadata.namespace, job.metadata.name)?.metadata.uid !== uid) return;
    const status = (job.status ?? {}) as {
      conditions?: Array<{ type: string; status: string }>;
      startTime?: string;
    };
    if (status.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'))
      return;
    const spec = (job.spec ?? {}) as JobSpecView;
    const record: JobRecord = {
      namespace: job.metadata.namespace as string,
      name: job.metadata.name,
      uid,
      spec,
      counts: {
        startTime: status.startTime ?? isoSeconds(this.clock.wallNow()),
        active: 0,
        succeeded: 0,
        failed: 0,
      },
      finished: false,
      timers: [],
    };
    this.jobs.set(uid, record);
    if (spec.activeDeadlineSeconds !== undefined) {
      record.timers.push(
        this.clock.after(spec.activeDeadlineSeconds * 1000, () => this.fail(record, 'DeadlineExceeded')),
      );
    }
    this.createPod(record);
  }

  private onJobDeleted(job: KubeObject): void {
    const record = this.jobs.get(job.metadata.uid as string);
    if (!record) return;
    record.finished = true;
    for (const t of record.timers.splice(0)) t();
    this.jobs.delete(record.uid);
    this.events.forget(record.uid);
    if (record.pod) this.forgetPod(record.pod);
  }

  private writeJobStatus(job: JobRecord, status: Record<string, unknown>): void {
    updateStatus(this.store, JOBS, job.namespace, job.name, (object) => {
      object.status = status;
    });
  }

  private createPod(job: JobRecord): void {
    if (job.finished || !this.jobs.has(job.uid)) return;
    const template = job.spec.template ?? {};
    const name = `${job.name}-${this.random.nameSuffix()}`;
    const createdIso = isoSeconds(this.clock.wallNow());
    const labels = {
      ...(template.metadata?.labels ?? {}),
      'batch.kubernetes.io/controller-uid': job.uid,
      'batch.kubernetes.io/job-name': job.name,
      'controller-uid': job.uid,
      'job-name': job.name,
    };
    let stored: KubeObject;
    try {
      stored = this.store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          generateName: `${job.name}-`,
          namespace: job.namespace,
          labels,
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              name: job.name,
              uid: job.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: { restartPolicy: 'Never', schedulerName: 'default-scheduler', ...(template.spec ?? {}) },
        status: { phase: 'Pending', qosClass: 'BestEffort' },
      });
    } catch (err) {
      this.recordJobEvent(job, 'FailedCreate', `Error creating: ${(err as Error).message}`, 'Warning');
      return;
    }
    const pod: PodRecord = {
      job,
      name,
      uid: stored.metadata.uid as string,
      createdIso,
      started: false,
      done: false,
    };
    job.pod = pod;
    job.counts.active = 1;
    this.writeJobStatus(job, runningJobStatus(job.counts));
    this.recordJobEvent(job, 'SuccessfulCreate', `Created pod: ${name}`, 'Normal');
    const nodeName = (stored.spec as PodSpecView).nodeName;
    if (nodeName) {
      pod.nodeName = nodeName;
      pod.scheduledIso = createdIso;
      this.startPod(pod);
    } else {
      this.schedule(pod);
    }
  }

  private recordJobEvent(job: JobRecord, reason: string, message: string, type: 'Normal' | 'Warning'): void {
    const object = this.store.get(JOBS, job.namespace, job.name);
    if (object) this.events.record({ involved: object, reason, message, type, component: 'job-controller' });
  }

  /** The scheduler: the first node that fits (pinned pods look at their nodes only). */
  private schedule(pod: PodRecord): void {
    if (pod.done) return;
    const object = this.store.get(PODS, pod.job.namespace, pod.name);
    if (!object) return;
    const pinned = pinnedNodeNames(object);
    const candidates = pinned
      ? pinned.map((n) => this.store.get(NODES, undefined, n)).filter((n): n is KubeObject => n !== undefined)
      : this.store.list(NODES);
    const reasons: string[] = [];
    const chosen = candidates.find((node) => {
      const reason = unfitReason(object, node);
      if (reason) reasons.push(reason);
      return reason === null;
    });
    const total = pinned ? this.nodes.names().length : candidates.length;
    if (!chosen) {
      const message = unschedulableMessage(
        [
          ...reasons,
          ...Array(Math.max(0, total - reasons.length)).fill(
            "node(s) didn't match Pod's node affinity/selector",
          ),
        ],
        total,
      );
      const wasUnscheduled = this.unscheduled.has(pod);
      this.unscheduled.add(pod);
      const stored = updateStatus(this.store, PODS, pod.job.namespace, pod.name, (p) => {
        p.status = {
          phase: 'Pending',
          qosClass: 'BestEffort',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              lastProbeTime: null,
              lastTransitionTime: pod.createdIso,
              reason: 'Unschedulable',
              message,
            },
          ],
        };
      });
      if (stored && !wasUnscheduled) {
        this.events.record({
          involved: stored,
          reason: 'FailedScheduling',
          message,
          type: 'Warning',
          component: 'default-scheduler',
        });
      }
      return;
    }
    this.unscheduled.delete(pod);
    pod.nodeName = chosen.metadata.name;
    pod.scheduledIso = isoSeconds(this.clock.wallNow());
    updateObject(this.store, PODS, pod.job.namespace, pod.name, (p) => {
      (p.spec as PodSpecView).nodeName = pod.nodeName;
    });
    const stored = updateStatus(this.store, PODS, pod.job.namespace, pod.name, (p) => {
      p.status = {
        phase: 'Pending',
        qosClass: 'BestEffort',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: pod.scheduledIso },
        ],
      };
    });
    if (stored) {
      this.events.record({
        involved: stored,
        reason: 'Scheduled',
        message: `Successfully assigned ${pod.job.namespace}/${pod.name} to ${pod.nodeName}`,
        type: 'Normal',
        component: 'default-scheduler',
      });
    }
    this.startPod(pod);
  }

  /** Node changes come in bursts (heartbeats): retry unschedulable pods at most every RETRY_THROTTLE_MS. */
  private scheduleRetry(): void {
    if (this.retryPending) return;
    this.retryPending = true;
    this.clock.afterRealMs(RETRY_THROTTLE_MS, () => {
      this.retryPending = false;
      this.retryScheduling();
    });
  }

  private retryScheduling(): void {
    for (const pod of [...this.unscheduled]) {
      if (pod.done || pod.job.pod !== pod) this.unscheduled.delete(pod);
      else this.schedule(pod);
    }
  }

  /** kubelet on the pod's node: nothing happens until that kubelet runs. */
  private startPod(pod: PodRecord): void {
    if (pod.done || pod.started || !pod.nodeName) return;
    const machine = this.nodes.get(pod.nodeName);
    if (!machine || !machine.ready) {
      this.waitingForNode.add(pod);
      return;
    }
    this.waitingForNode.delete(pod);
    pod.started = true;
    const object = this.store.get(PODS, pod.job.namespace, pod.name);
    const container = ((object?.spec as PodSpecView | undefined)?.containers ?? [])[0];
    if (!object || !container) return;
    const startedAt = isoSeconds(this.clock.wallNow());
    this.writePodStatus(pod, machine, container, { running: { startedAt } }, 'Running');
    const run: Promise<ContainerExit> = this.failNext.delete(machine.id.name)
      ? Promise.resolve({
          exitCode: 1,
          reason: 'Error',
          log: 'chainmedic sim: injected failure (failNextJob)\n',
        })
      : runJobContainer(machine, container, this.clock);
    run.then(
      (exit) => this.containerExited(pod, machine, container, startedAt, exit),
      (err: unknown) => {
        if (!(err instanceof ClockStoppedError))
          console.error('sim job controller: container run failed:', err);
      },
    );
  }

  private writePodStatus(
    pod: PodRecord,
    machine: SimMachine,
    container: ContainerSpec & { name: string },
    state: ContainerView['state'],
    phase: 'Running' | 'Succeeded' | 'Failed',
  ): void {
    const startTime = pod.scheduledIso ?? pod.createdIso;
    updateStatus(this.store, PODS, pod.job.namespace, pod.name, (p) => {
      p.status = {
        ...podStatus({
          phase,
          hostIp: machine.id.internalIp,
          podIp: machine.id.internalIp,
          startTime,
          scheduledAt: startTime,
          readySince: isoSeconds(this.clock.wallNow()),
          container: {
            name: container.name,
            image: container.image ?? '',
            imageID: `${(container.image ?? '').split(':')[0]}@sha256:${'0'.repeat(64)}`,
            containerID: `containerd://${pod.uid.replace(/-/g, '')}${'0'.repeat(32)}`,
            state,
            ready: phase === 'Running',
            restartCount: 0,
          },
        }),
        qosClass: 'BestEffort',
      };
    });
  }

  private containerExited(
    pod: PodRecord,
    machine: SimMachine,
    container: ContainerSpec & { name: string },
    startedAt: string,
    exit: ContainerExit,
  ): void {
    if (pod.done || this.clock.stopped) return;
    pod.done = true;
    const finishedAt = isoSeconds(this.clock.wallNow());
    const phase = exit.exitCode === 0 ? 'Succeeded' : 'Failed';
    const terminated = {
      exitCode: exit.exitCode,
      reason: exit.reason,
      ...(exit.message !== undefined ? { message: exit.message } : {}),
      startedAt,
      finishedAt,
      containerID: `containerd://${pod.uid.replace(/-/g, '')}${'0'.repeat(32)}`,
    };
    try {
      this.store.setPodLog(pod.job.namespace, pod.name, container.name, { current: exit.log });
    } catch {
      // deleted meanwhile
    }
    this.writePodStatus(pod, machine, container, { terminated }, phase);
    this.podFinished(pod, exit.exitCode === 0);
  }

  private podFinished(pod: PodRecord, succeeded: boolean): void {
    const job = pod.job;
    if (job.finished || job.pod !== pod) return;
    job.pod = undefined;
    job.counts.active = 0;
    if (succeeded) {
      job.counts.succeeded++;
      job.finished = true;
      for (const t of job.timers.splice(0)) t();
      this.writeJobStatus(job, completeJobStatus(job.counts, isoSeconds(this.clock.wallNow())));
      this.recordJobEvent(job, 'Completed', 'Job completed', 'Normal');
      this.afterFinish(job);
      return;
    }
    job.counts.failed++;
    const limit = job.spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
    if (job.counts.failed > limit) {
      this.fail(job, 'BackoffLimitExceeded');
      return;
    }
    this.writeJobStatus(job, runningJobStatus(job.counts));
    job.timers.push(this.clock.after(jobRetryDelayMs(job.counts.failed), () => this.createPod(job)));
  }

  private fail(job: JobRecord, reason: JobFailureReason): void {
    if (job.finished) return;
    job.finished = true;
    for (const t of job.timers.splice(0)) t();
    const active = job.pod;
    job.pod = undefined;
    if (active && !active.done) {
      active.done = true;
      job.counts.failed++;
      this.forgetPod(active);
      this.store.delete(PODS, job.namespace, active.name);
    }
    job.counts.active = 0;
    this.writeJobStatus(job, failedJobStatus(job.counts, isoSeconds(this.clock.wallNow()), reason));
    this.recordJobEvent(
      job,
      reason,
      reason === 'DeadlineExceeded'
        ? 'Job was active longer than specified deadline'
        : 'Job has reached the specified backoff limit',
      'Warning',
    );
    this.afterFinish(job);
  }

  private afterFinish(job: JobRecord): void {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    job.timers.push(
      this.clock.after(ttl * 1000, () => {
        this.store.delete(JOBS, job.namespace, job.name);
      }),
    );
  }

  private onPodDeleted(object: KubeObject): void {
    for (const job of this.jobs.values()) {
      const pod = job.pod;
      if (!pod || pod.uid !== object.metadata.uid) continue;
      this.forgetPod(pod);
      if (!pod.done) {
        // A Job pod deleted before it finished counts as failed.
        pod.done = true;
        this.podFinished(pod, false);
      }
      return;
    }
  }

  private forgetPod(pod: PodRecord): void {
    this.unscheduled.delete(pod);
    this.waitingForNode.delete(pod);
    this.events.forget(pod.uid);
  }
}
