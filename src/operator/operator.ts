import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  API_VERSION,
  CORDON_MARKER_ANNOTATION,
  DEFAULT_POLICY_NAME,
  REMEDIATION_POLICY_KIND,
  LABEL_APP,
  LABEL_APP_VALUE,
  LABEL_REMEDIATION,
  isTerminal,
} from '../api/index.js';
import { DEFAULT_AGENT_IMAGE, DEFAULT_NAMESPACE, effectivePolicy, type EffectivePolicy } from '../config.js';
import { Mutex } from '../controller/mutex.js';
import { WorkQueue } from '../controller/work-queue.js';
import { runWorkers, type ReconcileResult, type WorkersHandle } from '../controller/workers.js';
import { kubeClient, type KubeClient } from '../kube/client.js';
import {
  cacheLookups,
  createOperatorMetrics,
  startAdmissionWebhook,
  startHttpServer,
  type HttpServerHandle,
  type OperatorMetrics,
} from '../server/index.js';
import { EventRecorder } from '../kube/event-recorder.js';
import { Informer, type Cached, type InformerEvent } from '../kube/informer.js';
import { LeaderElector, type LeaderElectionTimings } from '../kube/leader.js';
import { uncordonNode } from '../kube/patch.js';
import { paths } from '../kube/paths.js';
import {
  decide,
  orderActive,
  phaseOf,
  sweepCordons,
  type FleetCounts,
  type Observed,
  type Step,
} from '../remediation/index.js';
import { resolveMaxUnhealthy } from '../config/policy.js';
import { AGENT_CONTAINER } from '../remediation/job.js';
import { LogDetector } from './detector.js';
import { executeStep, NotActingError } from './execute.js';
import { RefusedError } from '../kube/error-class.js';
import { NodeIndex } from './indexes.js';
import { GateWaiters } from './waiting.js';
import { createLogger } from './logger.js';
import {
  countsFor,
  fleetSnapshot,
  targetPodOn,
  type FleetSnapshot,
  toObservedJob,
  toObservedNode,
  toObservedRemediation,
  toObservedTargetPod,
} from './observe.js';
import { policyStatus } from './policy-status.js';
import type { Condition, NodeRemediationStatus } from '../api/index.js';
import {
  podTrimmer,
  trimDaemonSet,
  trimEvent,
  trimJob,
  trimNode,
  trimPolicy,
  trimRemediation,
  type CachedPolicy,
  type CachedRemediation,
  type TrimmedDaemonSet,
  type TrimmedEvent,
  type TrimmedJob,
  type TrimmedNode,
  type TrimmedPod,
} from './trim.js';

export interface StartOperatorOptions {
  kubeconfig?: string;
  /** Where the operator runs: its Lease and its webhook Secret live here. */
  namespace?: string;
  leaderElect?: boolean;
  agentImage?: string;
  /** Where the agent Jobs run (default: `namespace`). */
  agentNamespace?: string;
  /** Images spec.job.image may name besides agentImage; any other makes the policy invalid. */
  allowedAgentImages?: readonly string[];
  logLevel?: string;
  /** Tests: a client built elsewhere, a logger, faster timings. */
  client?: KubeClient;
  logger?: Logger;
  identity?: string;
  leaderTimings?: Partial<LeaderElectionTimings>;
  workers?: number;
  policyStatusIntervalMs?: number;
  /** Serve /healthz, /readyz and /metrics on this port (0: any free port); absent: no HTTP server. */
  metricsPort?: number;
  metricsHost?: string;
  metrics?: OperatorMetrics;
  /** Serve the validating admission webhook (every replica); absent: no webhook. */
  webhook?: { port: number; host?: string; certManagerDir?: string; refreshIntervalMs?: number };
  informer?: { watchGraceMs?: number; backoffMaxMs?: number; watchTimeoutSeconds?: number };
  /** Tests: changes the requeue delay `decide` asked for (e.g. a timer that never fires first). */
  adjustRequeueMs?: (requeueAfterMs: number, step: Step) => number;
}

export interface OperatorHandle {
  /** Resolves once every cache has synced. */
  ready(): Promise<void>;
  isLeader(): boolean;
  /** Graceful: stops acting, releases the lease, stops the informers. */
  stop(): Promise<void>;
  /** Like SIGKILL, in process: stops at once, writes nothing more, releases nothing. */
  kill(): Promise<void>;
  /** Informer restarts (all caches), for metrics. */
  informerRestarts(): number;
  /** Base URL of the metrics/health server, when one was started. */
  metricsUrl(): string | undefined;
  /** Port of the admission webhook, when it is served. */
  webhookPort(): number | undefined;
}

const LEASE_NAME = 'chainmedic-operator';
const STORM_CHECK_MS = 250;
/**
 * Objects per list page. Each page is parsed in full before it is trimmed: 200 instead of 500 lowers the
 * peak (measured about 30 MB less RSS at 5,000 nodes) at no measurable cost in sync time.
 */
const LIST_PAGE_SIZE = 200;
const JOB_LABEL_SELECTOR = `${LABEL_APP}=${LABEL_APP_VALUE}`;
/**
 * The BackOff-events watch asks for what kube-apiserver gives a watch that names no timeout (30-60 min, from
 * --min-request-timeout): the apiserver serves events from etcd, never bookmarks them, so a quiet events watch
 * keeps its resourceVersion only while it stays open; re-opened after etcd compacted it (every 5 min), it costs
 * a relist. The price: a server that keeps the connection but stops serving it is noticed within the hour, not
 * 10 min (a peer that is gone is noticed in about 40 s either way, by the client library's TCP keepalive); events
 * are only a quicker trigger, the pods' own watch sees every crash loop.
 */
const EVENTS_WATCH_TIMEOUT_SECONDS = 1800;

function labelSelectorOf(ds: TrimmedDaemonSet | undefined): string | undefined {
  const labels = ds?.spec.selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

const keyOf = (o: Cached): string =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;

/**
 * The operator: caches on every replica, reconciles on the leader only. Reconcile per node key: gather
 * Observed from the caches, `decide`, write the status first, perform the one effect, record events, requeue.
 */
export async function startOperator(options: StartOperatorOptions = {}): Promise<OperatorHandle> {
  const client = options.client ?? kubeClient(options.kubeconfig);
  const rest = client.rest;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const agentImage = options.agentImage ?? DEFAULT_AGENT_IMAGE;
  const agentNamespace = options.agentNamespace ?? namespace;
  const allowedImages = [agentImage, ...(options.allowedAgentImages ?? [])];
  const identity =
    options.identity ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const log = (options.logger ?? createLogger(options.logLevel ?? 'info')).child({ identity });
  const metrics =
    options.metrics ?? (options.metricsPort !== undefined ? createOperatorMetrics() : undefined);
  if (metrics) rest.onResponse = (verb, code) => metrics.kubeRequest(verb, code);
  const informerTuning = {
    watchGraceMs: options.informer?.watchGraceMs,
    backoffMaxMs: options.informer?.backoffMaxMs,
    watchTimeoutSeconds: options.informer?.watchTimeoutSeconds,
  };
  const informerError = (what: string) => (err: unknown) =>
    log.warn({ informer: what, err: (err as Error).message }, 'informer error (it recovers by itself)');
  const makeInformer = <T extends Cached>(
    what: string,
    path: string,
    transform: (raw: unknown) => T,
    selectors: { labelSelector?: string; fieldSelector?: string; watchTimeoutSeconds?: number } = {},
  ) =>
    new Informer<T>({
      rest,
      path,
      transform,
      pageSize: LIST_PAGE_SIZE,
      ...selectors,
      ...Object.fromEntries(Object.entries(informerTuning).filter(([, v]) => v !== undefined)),
      onError: informerError(what),
      onRestart: () => metrics?.watchRestart(what),
    });

  let acting = false;
  let killed = false;
  let stopped = false;
  let queue: WorkQueue | undefined;
  let workers: WorkersHandle | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  const mayAct = () => acting && !killed && !stopped;
  const enqueue = (node: string | undefined) => {
    if (node && queue && !queue.isShuttingDown()) queue.add(node);
  };

  // ---- caches ----
  const nodes = makeInformer<TrimmedNode>('nodes', paths.nodes(), trimNode);
  const remediations = makeInformer<CachedRemediation>(
    'noderemediations',
    paths.remediations(),
    trimRemediation,
  );
  const policies = makeInformer<CachedPolicy>('remediationpolicies', paths.policies(), trimPolicy);
  const jobs = makeInformer<TrimmedJob>('jobs', paths.jobs(agentNamespace), trimJob, {
    labelSelector: JOB_LABEL_SELECTOR,
  });
  const jobPods = makeInformer<TrimmedPod>(
    'agent-pods',
    paths.pods(agentNamespace),
    podTrimmer(['job-name']),
    {
      labelSelector: LABEL_REMEDIATION,
    },
  );
  const nrIndex = new NodeIndex();
  const waiters = new GateWaiters();
  /**
   * Bumped by every change a fleet snapshot reads (nodes, target pods, the DaemonSet, remediations, the policy,
   * and this operator's own status writes): an unchanged version lets the gates share one exact snapshot
   * when a freed slot wakes many of them at once.
   */
  let fleetVersion = 0;
  /** A slot came free or the storm guard lifted: the gates get another look now, not on their timer. */
  const wakeWaiters = () => {
    for (const node of waiters.nodes()) enqueue(node);
  };
  const jobIndex = new NodeIndex();
  const podIndex = new NodeIndex();

  nodes.on((e) => {
    if (e.type === 'update' && sameExceptVersion(e.old, e.object)) return;
    fleetVersion++;
    enqueue(e.object.metadata.name);
    checkStormGuardSoon();
  });
  remediations.on((e) => {
    const key = e.object.metadata.name;
    let freed: boolean;
    if (e.type === 'delete') {
      nrIndex.delete(key);
      freed = waiters.forget(key);
    } else {
      nrIndex.set(key, e.object.spec?.nodeName);
      freed = waiters.observe(key, e.object.spec?.nodeName, e.object.status?.phase, e.object.status?.reason);
    }
    fleetVersion++;
    enqueue(e.object.spec?.nodeName);
    if (freed) wakeWaiters();
    else checkStormGuardSoon();
  });
  jobs.on((e) => {
    if (e.type === 'delete') jobIndex.delete(keyOf(e.object));
    else jobIndex.set(keyOf(e.object), e.object.nodeName);
    enqueue(e.object.nodeName);
  });
  jobPods.on((e) => enqueue(e.object.spec.nodeName));

  let policy: EffectivePolicy = effectivePolicy(undefined);
  let policyError: string | undefined;
  const refreshPolicy = () => {
    const obj = policies.get(DEFAULT_POLICY_NAME);
    try {
      policy = effectivePolicy(obj?.spec, { allowedImages });
      policyError = undefined;
    } catch (err) {
      // An invalid policy never loosens anything: act as if paused until it is fixed.
      const before = policyError;
      policyError = (err as Error).message;
      if (policyError !== before) warnInvalidPolicy();
      policy = { ...effectivePolicy(undefined), paused: true };
      log.error(
        { policy: DEFAULT_POLICY_NAME, err: policyError },
        'invalid RemediationPolicy: acting as paused',
      );
    }
    fleetVersion++;
    retarget();
    for (const node of nrIndex.nodes()) enqueue(node);
    for (const node of podIndex.nodes()) enqueue(node);
  };
  /** One Warning Event on the policy per new problem (and per term of leadership), from the leader. */
  function warnInvalidPolicy(): void {
    const obj = policies.get(DEFAULT_POLICY_NAME);
    if (policyError === undefined || !obj || !mayAct()) return;
    void recorder.record({
      object: {
        apiVersion: API_VERSION,
        kind: REMEDIATION_POLICY_KIND,
        name: obj.metadata.name,
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      type: 'Warning',
      reason: 'InvalidPolicy',
      message: `${policyError}; acting as if paused until it is fixed.`,
    });
  }
  policies.on((e) => {
    // The operator's own status updates change nothing it acts on: re-queueing every node for them would
    // also wake waiting gates on a timer that has nothing to do with a freed slot.
    if (e.type === 'update' && JSON.stringify(e.old.spec) === JSON.stringify(e.object.spec)) return;
    refreshPolicy();
  });

  // ---- the target DaemonSet, its pods and BackOff events (re-created when the policy's target changes) ----
  let target:
    | {
        key: string;
        daemonSets: Informer<TrimmedDaemonSet>;
        events: Informer<TrimmedEvent>;
        pods?: Informer<TrimmedPod>;
        selector?: string;
      }
    | undefined;
  const daemonSet = (): TrimmedDaemonSet | undefined => target?.daemonSets.list()[0];

  function startPods(selector: string | undefined): void {
    if (!target || stopped) return;
    const old = target.pods;
    podIndex.clear();
    fleetVersion++;
    target.selector = selector;
    target.pods = undefined;
    void old?.stop();
    if (!selector) return;
    // Keep the labels the selector reads: isTargetPod matches them again, client-side.
    const sel = daemonSet()?.spec.selector;
    const keys = [...Object.keys(sel?.matchLabels ?? {}), ...(sel?.matchExpressions ?? []).map((e) => e.key)];
    const pods = makeInformer<TrimmedPod>(
      'target-pods',
      paths.pods(policy.target.namespace),
      podTrimmer(keys),
      {
        labelSelector: selector,
      },
    );
    pods.on((e: InformerEvent<TrimmedPod>) => {
      if (e.type === 'delete') {
        podIndex.delete(keyOf(e.object));
        detector.forget(e.object.metadata.uid ?? '');
      } else podIndex.set(keyOf(e.object), e.object.spec.nodeName);
      fleetVersion++;
      enqueue(e.object.spec.nodeName);
      checkStormGuardSoon();
    });
    target.pods = pods;
    pods.start();
  }

  function retarget(): void {
    const key = `${policy.target.namespace}/${policy.target.daemonSet}`;
    if (target?.key === key || stopped) return;
    const old = target;
    if (old) {
      void old.daemonSets.stop();
      void old.events.stop();
      void old.pods?.stop();
    }
    podIndex.clear();
    fleetVersion++;
    const ns = policy.target.namespace;
    const daemonSets = makeInformer<TrimmedDaemonSet>(
      'daemonsets',
      `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/daemonsets`,
      trimDaemonSet,
      { fieldSelector: `metadata.name=${policy.target.daemonSet}` },
    );
    const events = makeInformer<TrimmedEvent>('backoff-events', paths.events(ns), trimEvent, {
      fieldSelector: 'reason=BackOff',
      watchTimeoutSeconds: EVENTS_WATCH_TIMEOUT_SECONDS,
    });
    target = { key, daemonSets, events };
    daemonSets.on((e) => {
      // The DaemonSet controller's counters change with every pod start: only what the cache keeps (identity,
      // selector) matters here, and re-queueing every node for each counter change is the whole fleet again.
      if (e.type === 'update' && sameExceptVersion(e.old, e.object)) return;
      fleetVersion++;
      const selector = labelSelectorOf(daemonSet());
      if (target && selector !== target.selector) startPods(selector);
      for (const node of podIndex.nodes()) enqueue(node);
    });
    events.on((e) => {
      if (e.type === 'delete') return;
      const involved = e.object.involvedObject;
      if (involved.kind !== 'Pod' || !involved.name) return;
      // A quick trigger: the pod's node is reconciled now instead of on the pod's next status change.
      const pod = target?.pods?.get(`${involved.namespace ?? ns}/${involved.name}`);
      enqueue(pod?.spec.nodeName);
    });
    daemonSets.start();
    events.start();
  }

  // ---- detection, events, execution ----
  const recorder = new EventRecorder({
    rest,
    onError: (err, input) =>
      log.warn({ reason: input.reason, err: (err as Error).message }, 'could not record an Event'),
  });
  const detector = new LogDetector({
    rest,
    onConfirmed: (pod, restarts, line) => {
      metrics?.detection('confirmed');
      log.info(
        { node: pod.spec.nodeName, pod: pod.metadata.name, restarts, line },
        'crash loop confirmed by its previous log',
      );
    },
    onUnconfirmed: (pod, restarts) => {
      metrics?.detection('unconfirmed');
      log.info(
        { node: pod.spec.nodeName, pod: pod.metadata.name, restarts },
        'crash loop not confirmed: no signature in its previous log',
      );
      if (!mayAct() || !pod.spec.nodeName) return;
      const node = nodes.get(pod.spec.nodeName);
      void recorder.record({
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
  const admission = new Mutex();
  let fleetCache: { at: number; version: number; value: FleetSnapshot } | undefined;

  const targetPodsList = () => target?.pods?.list() ?? [];

  /**
   * While a remediation waits for the storm guard, fleet changes re-check it (coalesced: one O(fleet) pass
   * per STORM_CHECK_MS at most) and wake the waiting gates once it has lifted.
   */
  let stormCheck: NodeJS.Timeout | undefined;
  function checkStormGuardSoon(): void {
    if (stormCheck || !queue || !waiters.heldByStormGuard()) return;
    stormCheck = setTimeout(() => {
      stormCheck = undefined;
      if (!mayAct() || !waiters.heldByStormGuard()) return;
      const fleet = fleetSnapshot(nodes.list(), targetPodsList(), daemonSet(), remediations.list(), policy);
      if (fleet.affected.size <= resolveMaxUnhealthy(policy.maxUnhealthy, fleet.linuxNodes)) wakeWaiters();
    }, STORM_CHECK_MS);
    stormCheck.unref();
  }
  /**
   * The gate (exact) recomputes from the caches under the admission lock; other phases do not read the
   * fleet, so they share a snapshot up to a second old (O(fleet) per reconcile would be O(n^2) at start-up).
   */
  const computeFleet = (nodeName: string, exact: boolean): FleetCounts => {
    const now = Date.now();
    const unchanged = fleetCache?.version === fleetVersion;
    if (!fleetCache || (exact ? !unchanged : !unchanged && now - fleetCache.at > 1000)) {
      const value = fleetSnapshot(nodes.list(), targetPodsList(), daemonSet(), remediations.list(), policy);
      fleetCache = { at: now, version: fleetVersion, value };
    }
    return countsFor(fleetCache.value, nodeName);
  };

  async function jobPodsFor(job: TrimmedJob): Promise<TrimmedPod[]> {
    const cached = jobPods.list().filter((p) => p.metadata.labels['job-name'] === job.metadata.name);
    const finished = job.status.complete || job.status.failed;
    const agentDone = cached.some((p) =>
      p.status.containerStatuses.some((c) => c.name === AGENT_CONTAINER && c.state?.terminated),
    );
    if (!finished || agentDone) return cached;
    // The Job finished but the pod cache has not caught up (separate watches): read the pod rather than
    // misjudge the attempt as "no result", which would retry a Job that may have restarted kubelet.
    const list = await rest.get<{ items?: unknown[] }>(paths.pods(agentNamespace), {
      labelSelector: `job-name=${job.metadata.name}`,
    });
    return (list.items ?? []).map(podTrimmer(['job-name']));
  }

  async function reconcile(nodeName: string): Promise<ReconcileResult> {
    if (!mayAct()) return {};
    const remediationsOf = () =>
      nrIndex
        .keys(nodeName)
        .map((k) => remediations.get(k))
        .filter((r): r is CachedRemediation => r !== undefined)
        .map(toObservedRemediation);
    const primary = orderActive(remediationsOf())[0];
    const atGate =
      primary !== undefined && (phaseOf(primary) === 'Pending' || phaseOf(primary) === 'Waiting');
    const run = async (): Promise<ReconcileResult> => {
      if (!mayAct()) return {};
      const nodeLog = log.child({ node: nodeName, ...(primary ? { remediation: primary.name } : {}) });
      const node = nodes.get(nodeName);
      const pods = podIndex
        .keys(nodeName)
        .map((k) => target?.pods?.get(k))
        .filter((p): p is TrimmedPod => p !== undefined);
      const pod = targetPodOn(node, pods, daemonSet());
      const detection = primary ? ({ kind: 'none' } as const) : await detector.detect(pod, policy);
      const nodeJobs = await Promise.all(
        jobIndex
          .keys(nodeName)
          .map((k) => jobs.get(k))
          .filter((j): j is TrimmedJob => j !== undefined)
          .map(async (j) => toObservedJob(j, await jobPodsFor(j))),
      );
      // The node and its remediations are read at each observation: the cache may have moved while we waited
      // for the admission lock, and after a refusal it holds the intent the refused step wrote.
      const observe = (): Observed => ({
        now: Date.now(),
        nodeName,
        node: toObservedNode(nodes.get(nodeName)),
        policy,
        remediations: remediationsOf(),
        detection,
        jobs: nodeJobs,
        targetPod: toObservedTargetPod(pod),
        fleet: computeFleet(nodeName, atGate),
        jobContext: { namespace: agentNamespace, image: agentImage },
      });
      const observed = observe();
      const step = decide(observed);
      nodeLog.debug(
        {
          detection: detection.kind,
          pod: pod?.metadata.name,
          effect: step.effect.type,
          phase: step.status?.status.phase,
        },
        'reconciled',
      );
      const forEvents = step.status?.name ?? orderActive(observed.remediations)[0]?.name;
      const deps = { rest, events: recorder, remediations, nodes, jobs, mayAct, log: nodeLog, onFinished };
      try {
        await executeStep(deps, nodeName, step, forEvents);
      } catch (err) {
        if (!(err instanceof RefusedError)) throw err;
        // Refused for good: decide once more with the refusal observed (status re-read: the intent may
        // have been written), and run that step even where parts of it are refused too.
        const { call, refusal } = err;
        nodeLog.error(
          { call, code: refusal.code, reason: refusal.reason, err: refusal.message },
          'remediation refused by the API server',
        );
        const { code, reason, message } = refusal;
        const after = decide({ ...observe(), refusal: { call, code, reason, message } });
        await executeStep(deps, nodeName, after, after.status?.name ?? forEvents, { bestEffort: true });
        return {};
      } finally {
        // Writes go into the cache (read-your-writes) before their watch events arrive.
        if (step.status || step.effect.type === 'createRemediation') fleetVersion++;
      }
      if (step.requeueAfterMs === undefined) return {};
      const adjust = options.adjustRequeueMs;
      return { requeueAfterMs: adjust ? adjust(step.requeueAfterMs, step) : step.requeueAfterMs };
    };
    // Admission into a slot is serialized: two gates must not both see a free slot.
    return atGate ? admission.run(run) : run();
  }

  // ---- the fleet view on the policy's status, debounced ----
  /** What this replica last published in its current term ('' at the start of every term). */
  let lastPolicyStatus = '';
  function onFinished(nr: CachedRemediation, status: NodeRemediationStatus): void {
    if (!metrics || !isTerminal(status.phase)) return;
    const start = Date.parse(
      nr.spec.trigger.observedAt ?? nr.metadata.creationTimestamp ?? status.startTime ?? '',
    );
    const end = Date.parse(status.completionTime ?? new Date().toISOString());
    const seconds = Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, (end - start) / 1000) : 0;
    metrics.remediationFinished(status.phase as 'Succeeded' | 'Skipped' | 'Failed', seconds, status.reason);
  }

  /** Fleet gauges from the caches (every replica keeps them, leader or not). */
  function publishFleet(): void {
    if (!metrics) return;
    const status = policyStatus(
      policy,
      nodes.list(),
      targetPodsList(),
      daemonSet(),
      remediations.list(),
      0,
      undefined,
    );
    const linux = nodes.list().filter((n) => n.metadata.labels['kubernetes.io/os'] === 'linux');
    metrics.setFleet({
      watched: linux.length,
      optedOut: status.optedOutNodes ?? 0,
      affected: status.affectedNodes ?? 0,
      cordonedByUs: linux.filter((n) => n.metadata.annotations[CORDON_MARKER_ANNOTATION] !== undefined)
        .length,
      active: remediations.list().filter((r) => !isTerminal(r.status?.phase)).length,
      stormGuardActive: status.stormGuard?.active === true,
    });
  }

  let validity: { valid: boolean; message: string; since: string } | undefined;
  /** Condition Valid: False (with every problem) while the spec is invalid and the operator acts as paused. */
  function validCondition(generation: number | undefined): Condition {
    const valid = policyError === undefined;
    const message = valid ? 'The spec is valid.' : `${policyError}; acting as if paused until it is fixed.`;
    if (!validity || validity.valid !== valid || validity.message !== message) {
      validity = { valid, message, since: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    }
    return {
      type: 'Valid',
      status: valid ? 'True' : 'False',
      reason: valid ? 'SpecValid' : 'InvalidSpec',
      message: message.slice(0, 32768),
      lastTransitionTime: validity.since,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  }

  async function publishPolicyStatus(): Promise<void> {
    const obj = policies.get(DEFAULT_POLICY_NAME);
    if (!obj || !mayAct()) return;
    const status = policyStatus(
      policy,
      nodes.list(),
      targetPodsList(),
      daemonSet(),
      remediations.list(),
      detector.unconfirmedPods(),
      obj.metadata.generation,
      {
        validity: policyError === undefined ? { ok: true, policy } : { ok: false, errors: [policyError] },
        ...(obj.status ? { previous: obj.status } : {}),
      },
    );
    // Ready/Paused/StormActive come from the fleet view; Valid says whether the spec itself is valid.
    status.conditions = [...(status.conditions ?? []), validCondition(obj.metadata.generation)];
    const text = JSON.stringify(status);
    if (text === lastPolicyStatus) return;
    try {
      await rest.patch(paths.policyStatus(DEFAULT_POLICY_NAME), 'application/merge-patch+json', { status });
      lastPolicyStatus = text;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not update the RemediationPolicy status');
    }
  }

  // ---- leadership ----
  const coreInformers = [nodes, remediations, policies, jobs, jobPods];
  const allSynced = async () => {
    await Promise.all(coreInformers.map((i) => i.waitForSync()));
    for (;;) {
      const t = target;
      if (!t) return;
      await t.daemonSets.waitForSync();
      await t.events.waitForSync();
      if (t.pods) await t.pods.waitForSync();
      if (t === target && (t.pods !== undefined || !labelSelectorOf(daemonSet()))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const readyPromise = (async () => {
    await policies.waitForSync();
    refreshPolicy();
    await allSynced();
    log.info('caches synced');
  })();

  /** Counts the terms of leadership: a start-up that outlived its term (lost, then won again) stops there. */
  let term = 0;
  async function startActing(): Promise<void> {
    if (acting || killed || stopped) return;
    acting = true;
    const mine = ++term;
    const stillMine = () => mayAct() && term === mine;
    log.info('leading: reconciling');
    metrics?.setLeader(true);
    // Another replica may have published since this one last did: never skip a status for matching our own.
    lastPolicyStatus = '';
    await readyPromise;
    if (!stillMine()) return;
    await startupSweep();
    if (!stillMine()) return;
    warnInvalidPolicy();
    const q = new WorkQueue();
    queue = q;
    for (const n of nodes.list()) q.add(n.metadata.name);
    for (const n of nrIndex.nodes()) q.add(n);
    workers = runWorkers(q, options.workers ?? 4, reconcile, (key, err) => {
      if (err instanceof NotActingError) return;
      log.warn({ node: key, err: (err as Error).message }, 'reconcile failed; retrying with back-off');
    });
    const interval = options.policyStatusIntervalMs ?? 10_000;
    statusTimer = setInterval(() => void publishPolicyStatus(), interval);
    statusTimer.unref();
    // The fleet view of the warm caches, now: the previous leader's last view (say, no storm) must not stand
    // for another interval after a failover.
    void publishPolicyStatus();
  }

  /** Releases cordons whose NodeRemediation is gone or finished (a crash between the end and the uncordon). */
  async function startupSweep(): Promise<void> {
    const releases = sweepCordons(
      nodes.list().map((n) => toObservedNode(n)!),
      remediations.list().map(toObservedRemediation),
    );
    for (const release of releases) {
      if (!mayAct()) return;
      try {
        const result = await uncordonNode(rest, release.node, release.expectMarker);
        log.info(
          { node: release.node, remediation: release.expectMarker, result },
          'start-up sweep: stale cordon',
        );
      } catch (err) {
        log.warn(
          { node: release.node, err: (err as Error).message },
          'start-up sweep failed; the reconcile retries',
        );
      }
    }
  }

  function stopActing(): void {
    if (!acting) return;
    acting = false;
    log.warn('not leading any more: stopped acting');
    metrics?.setLeader(false);
    queue?.shutDown();
    queue = undefined;
    if (statusTimer) clearInterval(statusTimer);
    if (stormCheck) clearTimeout(stormCheck);
    stormCheck = undefined;
  }

  for (const informer of coreInformers) informer.start();

  let synced = false;
  void readyPromise.then(() => (synced = true));
  let http: HttpServerHandle | undefined;
  let fleetTimer: NodeJS.Timeout | undefined;
  if (metrics) {
    metrics.setLeader(false);
    fleetTimer = setInterval(publishFleet, options.policyStatusIntervalMs ?? 10_000);
    fleetTimer.unref();
  }
  if (options.metricsPort !== undefined && metrics) {
    try {
      http = await startHttpServer({
        port: options.metricsPort,
        ...(options.metricsHost ? { host: options.metricsHost } : {}),
        metrics,
        isReady: () => (synced ? true : { ready: false, reason: 'caches not synced yet' }),
        onError: (err) => log.warn({ err: (err as Error).message }, 'metrics server error'),
      });
      log.info({ url: http.url }, 'serving /healthz, /readyz and /metrics');
    } catch (err) {
      await Promise.all(coreInformers.map((i) => i.stop()));
      throw err;
    }
  }

  const webhook = options.webhook ? await startWebhook(options.webhook) : undefined;

  /** The webhook fails open (failurePolicy Ignore): a webhook that cannot start is logged, never fatal. */
  async function startWebhook(config: NonNullable<StartOperatorOptions['webhook']>) {
    const caches = cacheLookups({ node: (name) => nodes.get(name), remediations: () => remediations.list() });
    // Before the caches are complete "no such node" would be a wrong answer: a failed lookup is let through.
    const notYet = () => {
      throw new Error('caches not synced yet');
    };
    try {
      const handle = await startAdmissionWebhook({
        port: config.port,
        ...(config.host ? { host: config.host } : {}),
        lookups: {
          getNode: (name) => (synced ? caches.getNode(name) : notYet()),
          activeRemediationFor: (node) => (synced ? caches.activeRemediationFor(node) : notYet()),
          allowedAgentImages: allowedImages,
        },
        certificates: config.certManagerDir
          ? { mode: 'cert-manager', dir: config.certManagerDir }
          : { mode: 'self-managed', api: rest, namespace },
        ...(config.refreshIntervalMs ? { refreshIntervalMs: config.refreshIntervalMs } : {}),
        onError: (err) => log.warn({ err: (err as Error).message }, 'admission webhook error'),
      });
      log.info({ port: handle.port }, 'serving the validating admission webhook');
      return handle;
    } catch (err) {
      log.error(
        { err: (err as Error).message },
        'admission webhook not started; the API server lets requests through (failurePolicy Ignore)',
      );
      return undefined;
    }
  }

  let elector: LeaderElector | undefined;
  if (options.leaderElect) {
    elector = new LeaderElector({
      rest,
      namespace,
      leaseName: LEASE_NAME,
      identity,
      ...(options.leaderTimings ? { timings: options.leaderTimings } : {}),
      onStartedLeading: () => void startActing(),
      onStoppedLeading: stopActing,
      onError: (err) => log.warn({ err: (err as Error).message }, 'leader election: request failed'),
    });
    // Campaign only once the caches are warm: a new leader acts on a complete view at once.
    void readyPromise.then(() => {
      if (!stopped && !killed) elector?.start();
    });
  } else {
    void startActing();
  }

  async function shutdown(graceful: boolean): Promise<void> {
    if (stopped) return;
    stopped = true;
    if (!graceful) killed = true;
    stopActing();
    await elector?.stop({ release: graceful });
    if (graceful) await workers?.stopped;
    if (fleetTimer) clearInterval(fleetTimer);
    await http?.close();
    await webhook?.close();
    await Promise.all([
      ...coreInformers.map((i) => i.stop()),
      target?.daemonSets.stop(),
      target?.events.stop(),
      target?.pods?.stop(),
    ]);
  }

  return {
    ready: () => readyPromise,
    isLeader: () => mayAct(),
    stop: () => shutdown(true),
    kill: () => shutdown(false),
    metricsUrl: () => http?.url,
    webhookPort: () => webhook?.port,
    informerRestarts: () =>
      coreInformers.reduce((n, i) => n + i.restarts(), 0) +
      (target ? target.daemonSets.restarts() + target.events.restarts() + (target.pods?.restarts() ?? 0) : 0),
  };
}

function sameExceptVersion<T extends Cached>(a: T, b: T): boolean {
  const strip = (o: T) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
  return strip(a) === strip(b);
}
