/**
 * One reconcile per node key: observe (from the caches), decide (pure), execute (status first, then the one
 * effect). Admission into a slot is serialized by one mutex. A call the API server refuses for good is
 * observed and decided once more, and that step is run best-effort. Every log line of one reconcile carries
 * its reconcileID.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CHAINS_CONDITION_TYPE } from '../api/index.js';
import { chainsConditionUpdate, latentProbe, latestFinding, type ChainsFinding } from '../audit/findings.js';
import { errorMessage } from '../errors.js';
import { patchChainsCondition } from '../kube/node-condition.js';
import { Mutex } from '../controller/mutex.js';
import { isTerminalError } from '../controller/terminal.js';
import type { ReconcileResult } from '../controller/workers.js';
import { RefusedError } from '../kube/error-class.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import { paths } from '../kube/paths.js';
import type { KubeRest } from '../kube/rest.js';
import {
  decide,
  orderActive,
  phaseOf,
  type Detection,
  type Observed,
  type ObservedRemediation,
  type Step,
} from '../remediation/index.js';
import { AGENT_CONTAINER } from '../remediation/job.js';
import type { Informer } from '../kube/informer.js';
import type { OperatorMetrics } from '../server/index.js';
import type { Caches } from './caches.js';
import { LogDetector } from './detector.js';
import { executeStep, type ExecutorDeps } from './execute.js';
import type { Fleet } from './fleet.js';
import {
  isProbeJob,
  targetPodOn,
  toObservedJob,
  toObservedProbe,
  toObservedNode,
  toObservedRemediation,
  toObservedTargetPod,
} from './observe.js';
import type { PolicyState } from './policy-state.js';
import { podTrimmer, type TrimmedJob, type TrimmedNode, type TrimmedPod } from './trim.js';

export interface ReconcilerOptions {
  caches: Caches;
  fleet: Fleet;
  policy: PolicyState;
  detector: LogDetector;
  recorder: EventRecorder;
  rest: KubeRest;
  log: Logger;
  metrics?: OperatorMetrics;
  /** False once this replica must stop acting: checked before each pass and every write. */
  mayAct: () => boolean;
  agentNamespace: string;
  agentImage: string;
  /** Tests: changes the requeue delay `decide` asked for. */
  adjustRequeueMs?: (requeueAfterMs: number, step: Step) => number;
}

const scope = new AsyncLocalStorage<{ reconcileID: string }>();

/**
 * The reconcileID of the reconcile this code runs in (nothing outside one): for the lines its callees log
 * through a logger of their own (the detector's verdicts, a failed Event).
 */
export function reconcileFields(): { reconcileID?: string } {
  return scope.getStore() ?? {};
}

export class Reconciler {
  private readonly admission = new Mutex();

  constructor(private readonly o: ReconcilerOptions) {}

  /** The worker's entry: one pass for this node. Throws to be retried with back-off, unless the error is terminal. */
  readonly reconcile = async (nodeName: string): Promise<ReconcileResult> => {
    if (!this.o.mayAct()) return {};
    const primary = orderActive(this.remediationsOf(nodeName))[0];
    const atGate =
      primary !== undefined && (phaseOf(primary) === 'Pending' || phaseOf(primary) === 'Waiting');
    const reconcileID = randomUUID();
    const log = this.o.log.child({
      node: nodeName,
      ...(primary ? { remediation: primary.name } : {}),
      reconcileID,
    });
    const pass = () => scope.run({ reconcileID }, () => this.pass(nodeName, primary, log));
    try {
      // Admission into a slot is serialized: two gates must not both see a free slot.
      return atGate ? await this.admission.run(pass) : await pass();
    } catch (err) {
      if (!isTerminalError(err))
        log.warn({ err: errorMessage(err) }, 'reconcile failed; retrying with back-off');
      throw err;
    }
  };

  private remediationsOf(nodeName: string) {
    return this.o.caches.remediationsOn(nodeName).map(toObservedRemediation);
  }

  private async pass(
    nodeName: string,
    primary: ObservedRemediation | undefined,
    log: Logger,
  ): Promise<ReconcileResult> {
    const { caches, policy, fleet } = this.o;
    if (!this.o.mayAct()) return {};
    const node = caches.nodes.get(nodeName);
    const pod = targetPodOn(node, caches.targetPodsOn(nodeName), caches.daemonSet());
    const jobs = caches.jobsOn(nodeName);
    // A probe Job being deleted (its TTL: the pods go first) has nothing more to say, and its pod may be gone.
    const probes = await Promise.all(
      jobs
        .filter((j) => isProbeJob(j) && !j.metadata.deletionTimestamp)
        .map(async (j) => toObservedProbe(j, await this.jobPodsFor(j))),
    );
    const nodeJobs = await Promise.all(
      jobs.filter((j) => !isProbeJob(j)).map(async (j) => toObservedJob(j, await this.jobPodsFor(j))),
    );
    const finding = latestFinding(probes, this.remediationsOf(nodeName));
    await this.updateChainsCondition(nodeName, finding, log);
    let detection: Detection = primary ? { kind: 'none' } : await this.o.detector.detect(pod, policy.current);
    const latent = primary || detection.kind === 'confirmed' ? null : latentProbe(probes, finding);
    if (latent?.finishedAt !== undefined) {
      detection = {
        kind: 'latent',
        probeJob: latent.name,
        probeUid: latent.uid,
        reason: latent.reason,
        observedAt: new Date(latent.finishedAt).toISOString(),
      };
    }
    // The node and its remediations are read at each observation: the cache may have moved while we waited
    // for the admission lock, and after a refusal it holds the intent the refused step wrote.
    const observe = (): Observed => ({
      now: Date.now(),
      nodeName,
      node: toObservedNode(caches.nodes.get(nodeName)),
      policy: policy.current,
      remediations: this.remediationsOf(nodeName),
      detection,
      jobs: nodeJobs,
      targetPod: toObservedTargetPod(pod, policy.current),
      fleet: fleet.counts(nodeName),
      jobContext: { namespace: this.o.agentNamespace, image: this.o.agentImage },
    });
    const observed = observe();
    const step = decide(observed);
    log.debug(
      {
        detection: detection.kind,
        pod: pod?.metadata.name,
        effect: step.effect.type,
        phase: step.status?.status.phase,
      },
      'reconciled',
    );
    const forEvents = step.status?.name ?? orderActive(observed.remediations)[0]?.name;
    const deps: ExecutorDeps = {
      rest: this.o.rest,
      events: this.o.recorder,
      remediations: caches.remediations,
      nodes: caches.nodes,
      jobs: caches.jobs,
      mayAct: this.o.mayAct,
      log,
      onFinished: (nr, status) => fleet.onFinished(nr, status),
    };
    try {
      await executeStep(deps, nodeName, step, forEvents);
      if (detection.kind === 'latent' && step.effect.type === 'createRemediation')
        this.o.metrics?.latentNodeFound(detection.reason);
    } catch (err) {
      if (!(err instanceof RefusedError)) throw err;
      // Refused for good: decide once more with the refusal observed (status re-read: the intent may
      // have been written), and run that step even where parts of it are refused too.
      const { call, refusal } = err;
      log.error(
        { call, code: refusal.code, reason: refusal.reason, err: refusal.message },
        'remediation refused by the API server',
      );
      const { code, reason, message } = refusal;
      const after = decide({ ...observe(), refusal: { call, code, reason, message } });
      await executeStep(deps, nodeName, after, after.status?.name ?? forEvents, { bestEffort: true });
      return {};
    }
    if (step.requeueAfterMs === undefined) return {};
    const adjust = this.o.adjustRequeueMs;
    return { requeueAfterMs: adjust ? adjust(step.requeueAfterMs, step) : step.requeueAfterMs };
  }

  /**
   * The node's KubeletIPTablesInitFailed condition follows the newest finding (written only when it moved; a
   * failed write is logged and tried again on the next pass).
   */
  private async updateChainsCondition(
    nodeName: string,
    finding: ChainsFinding | null,
    log: Logger,
  ): Promise<void> {
    const cached = this.o.caches.nodes.get(nodeName);
    const update = cached ? chainsConditionUpdate(finding, toObservedNode(cached)?.chains) : null;
    if (!update || !this.o.mayAct()) return;
    let written: unknown;
    try {
      written = await patchChainsCondition(this.o.rest, nodeName, update);
    } catch (err) {
      // The condition informs; it never holds up the remediation (it is tried again on the next pass).
      log.warn(
        { condition: CHAINS_CONDITION_TYPE, err: errorMessage(err) },
        'could not update the node condition',
      );
      return;
    }
    this.o.caches.nodes.upsert(written);
    this.o.metrics?.chainsConditionWritten(update.status);
    log.info(
      { condition: CHAINS_CONDITION_TYPE, status: update.status, reason: update.reason, by: finding?.by },
      'node condition updated',
    );
  }

  private async jobPodsFor(job: TrimmedJob): Promise<TrimmedPod[]> {
    const cached = this.o.caches.agentPods
      .list()
      .filter((p) => p.metadata.labels['job-name'] === job.metadata.name);
    const finished = job.status.complete || job.status.failed;
    const agentDone = cached.some((p) =>
      p.status.containerStatuses.some((c) => c.name === AGENT_CONTAINER && c.state?.terminated),
    );
    if (!finished || agentDone) return cached;
    // The Job finished but the pod cache has not caught up (separate watches): read the pod rather than
    // misjudge the attempt as "no result", which would retry a Job that may have restarted kubelet.
    const list = await this.o.rest.get<{ items?: unknown[] }>(paths.pods(this.o.agentNamespace), {
      labelSelector: `job-name=${job.metadata.name}`,
    });
    return (list.items ?? []).map(podTrimmer(['job-name']));
  }
}

/** The log detector, its verdicts counted, logged, and an unconfirmed crash loop told on its node (leader only). */
export function operatorDetector(o: {
  rest: KubeRest;
  log: Logger;
  metrics?: OperatorMetrics;
  recorder: EventRecorder;
  mayAct: () => boolean;
  nodes: Informer<TrimmedNode>;
}): LogDetector {
  const { log, metrics } = o;
  return new LogDetector({
    rest: o.rest,
    onConfirmed: (pod, restarts, line) => {
      metrics?.detection('confirmed');
      log.info(
        { ...reconcileFields(), node: pod.spec.nodeName, pod: pod.metadata.name, restarts, line },
        'crash loop confirmed by its previous log',
      );
    },
    onUnconfirmed: (pod, restarts) => {
      metrics?.detection('unconfirmed');
      log.info(
        { ...reconcileFields(), node: pod.spec.nodeName, pod: pod.metadata.name, restarts },
        'crash loop not confirmed: no signature in its previous log',
      );
      if (!o.mayAct() || !pod.spec.nodeName) return;
      const node = o.nodes.get(pod.spec.nodeName);
      void o.recorder.record({
        object: {
          apiVersion: 'v1',
          kind: 'Node',
          name: pod.spec.nodeName,
          ...(node?.metadata.uid ? { uid: node.metadata.uid } : {}),
        },
        type: 'Warning',
        reason: 'CrashLoopUnconfirmed',
        message: `${pod.metadata.namespace}/${pod.metadata.name} crash-loops (restart ${restarts}) but its previous log matches no signature; not remediated.`,
      });
    },
  });
}
