/**
 * The in-memory plane's Job controller (what kube-controller-manager's does for the Jobs chainmedic makes:
 * completions 1, parallelism 1): it creates the Job's pod, follows the pod's phase into the Job's status and
 * conditions as the 1.34 controller writes them (SuccessCriteriaMet or FailureTarget first, then Complete or
 * Failed once no pod of the Job runs), replaces a failed pod after its back-off up to backoffLimit, enforces
 * activeDeadlineSeconds, records FailedCreate (and retries) when the pod create is refused, and deletes a
 * finished Job after ttlSecondsAfterFinished (the TTL controller). The scheduler binds the pod; the simulated
 * node's kubelet runs it (tools/sim/nodes/).
 */
import { JOBS, PODS, type KubeObject, type WatchEvent } from '../api/types.js';
import { isoSeconds, updateStatus } from './actor-store.js';
import type { SimClock } from './clock.js';
import type { EventRecorder } from './event-recorder.js';
import {
  completeJobStatus,
  failedJobStatus,
  failureTargetJobStatus,
  jobFailureMessage,
  jobRetryDelayMs,
  runningJobStatus,
  successTargetJobStatus,
  type JobCounts,
  type JobFailureReason,
} from './job-status.js';
import type { SimStore } from '../api/types.js';
import type { SimRandom } from './random.js';

interface JobSpecView {
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
  };
}

type Outcome = { succeeded: true; at: string } | { succeeded: false; at: string; reason: JobFailureReason };

interface JobRecord {
  namespace: string;
  name: string;
  uid: string;
  spec: JobSpecView;
  counts: JobCounts;
  /** The Job's pods by uid, with whether each has ended (Succeeded or Failed) and been counted. */
  pods: Map<string, { name: string; ended: boolean }>;
  /** Set once the success or failure target is reached; the final condition follows once no pod runs. */
  outcome?: Outcome;
  finished: boolean;
  timers: Array<() => void>;
}

const DEFAULT_BACKOFF_LIMIT = 6;
const DEFAULT_MIN_DEADLINE_REAL_MS = 10_000;
/** After a refused pod create the controller retries (rate-limited in the real one). */
const CREATE_RETRY_MS = 1_000;

const phaseOf = (pod: KubeObject) => (pod.status as { phase?: string } | undefined)?.phase;
const controllerUid = (pod: KubeObject) =>
  (pod.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'Job')?.uid;

export class JobController {
  private readonly jobs = new Map<string, JobRecord>(); // by uid
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly store: SimStore,
    private readonly clock: SimClock,
    private readonly random: SimRandom,
    private readonly events: EventRecorder,
    /**
     * activeDeadlineSeconds runs in simulated time but never ends sooner than this many real milliseconds: the
     * kubelets start the pod and report it through the API in real time, which a time scale does not shorten.
     */
    private readonly minDeadlineRealMs = DEFAULT_MIN_DEADLINE_REAL_MS,
  ) {}

  start(): void {
    this.stops.push(
      this.store.subscribe(JOBS, (event) => {
        if (event.type === 'ADDED') this.defer(() => this.onJobAdded(event.object));
        else if (event.type === 'DELETED') this.onJobDeleted(event.object);
      }),
      this.store.subscribe(PODS, (event) => this.onPodEvent(event)),
    );
    for (const job of this.store.list(JOBS)) this.onJobAdded(job);
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
    for (const job of this.jobs.values()) for (const t of job.timers.splice(0)) t();
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
      pods: new Map(),
      finished: false,
      timers: [],
    };
    this.jobs.set(uid, record);
    if (spec.activeDeadlineSeconds !== undefined) {
      const simMs = spec.activeDeadlineSeconds * 1000;
      const fail = () => this.fail(record, 'DeadlineExceeded');
      record.timers.push(
        simMs * this.clock.timeScale >= this.minDeadlineRealMs
          ? this.clock.after(simMs, fail)
          : this.clock.afterRealMs(this.minDeadlineRealMs, fail),
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
  }

  private writeJobStatus(job: JobRecord, status: Record<string, unknown>): void {
    updateStatus(this.store, JOBS, job.namespace, job.name, (object) => {
      object.status = status;
    });
  }

  private recordJobEvent(job: JobRecord, reason: string, message: string, type: 'Normal' | 'Warning'): void {
    const object = this.store.get(JOBS, job.namespace, job.name);
    if (object) this.events.record({ involved: object, reason, message, type, component: 'job-controller' });
  }

  private running(job: JobRecord): number {
    return [...job.pods.values()].filter((p) => !p.ended).length;
  }

  private createPod(job: JobRecord): void {
    if (job.finished || job.outcome || !this.jobs.has(job.uid) || this.running(job) > 0) return;
    const template = job.spec.template ?? {};
    const name = `${job.name}-${this.random.nameSuffix()}`;
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
      job.timers.push(this.clock.afterRealMs(CREATE_RETRY_MS, () => this.createPod(job)));
      return;
    }
    job.pods.set(stored.metadata.uid as string, { name, ended: false });
    job.counts.active = this.running(job);
    this.writeJobStatus(job, runningJobStatus(job.counts));
    this.recordJobEvent(job, 'SuccessfulCreate', `Created pod: ${name}`, 'Normal');
  }

  private onPodEvent(event: WatchEvent): void {
    const pod = event.object;
    const uid = controllerUid(pod);
    const job = uid === undefined ? undefined : this.jobs.get(uid);
    const known = job?.pods.get(pod.metadata.uid as string);
    if (!job || !known || job.finished) return;
    if (event.type === 'DELETED') {
      job.pods.delete(pod.metadata.uid as string);
      // A pod deleted before it ended counts as failed (unless the Job is already ending and deleted it).
      if (!known.ended && !job.outcome) this.podEnded(job, false);
      else this.maybeFinish(job);
      return;
    }
    const phase = phaseOf(pod);
    if (known.ended || (phase !== 'Succeeded' && phase !== 'Failed')) return;
    known.ended = true;
    this.podEnded(job, phase === 'Succeeded');
  }

  private podEnded(job: JobRecord, succeeded: boolean): void {
    job.counts.active = this.running(job);
    if (job.outcome) return this.maybeFinish(job);
    const at = isoSeconds(this.clock.wallNow());
    if (succeeded) {
      job.counts.succeeded++;
      job.outcome = { succeeded: true, at };
      for (const t of job.timers.splice(0)) t();
      this.writeJobStatus(job, successTargetJobStatus(job.counts, at));
      this.maybeFinish(job);
      return;
    }
    job.counts.failed++;
    if (job.counts.failed > (job.spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT)) {
      this.fail(job, 'BackoffLimitExceeded');
      return;
    }
    this.writeJobStatus(job, runningJobStatus(job.counts));
    job.timers.push(this.clock.after(jobRetryDelayMs(job.counts.failed), () => this.createPod(job)));
  }

  /** The failure target: the running pods are deleted (each counts as failed), then the Job is Failed. */
  private fail(job: JobRecord, reason: JobFailureReason): void {
    if (job.finished || job.outcome) return;
    const at = isoSeconds(this.clock.wallNow());
    job.outcome = { succeeded: false, at, reason };
    for (const t of job.timers.splice(0)) t();
    const running = [...job.pods.entries()].filter(([, p]) => !p.ended);
    job.counts.failed += running.length;
    this.writeJobStatus(job, failureTargetJobStatus(job.counts, at, reason));
    for (const [, pod] of running) this.store.delete(PODS, job.namespace, pod.name);
    this.maybeFinish(job);
  }

  /** Complete or Failed once no pod of the Job runs. */
  private maybeFinish(job: JobRecord): void {
    const outcome = job.outcome;
    if (!outcome || job.finished || this.running(job) > 0) return;
    job.finished = true;
    job.counts.active = 0;
    const at = isoSeconds(this.clock.wallNow());
    if (outcome.succeeded) {
      this.writeJobStatus(job, completeJobStatus(job.counts, at, outcome.at));
      this.recordJobEvent(job, 'Completed', 'Job completed', 'Normal');
    } else {
      this.writeJobStatus(job, failedJobStatus(job.counts, at, outcome.reason, outcome.at));
      this.recordJobEvent(job, outcome.reason, jobFailureMessage(outcome.reason), 'Warning');
    }
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    job.timers.push(this.clock.after(ttl * 1000, () => this.store.delete(JOBS, job.namespace, job.name)));
  }
}
