import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { DEFAULT_POLICY_NAME } from '../api/index.js';
import { DEFAULT_AGENT_IMAGE, DEFAULT_NAMESPACE } from '../config.js';
import { exponentialRateLimiter } from '../controller/rate-limiter.js';
import { WorkQueue } from '../controller/work-queue.js';
import { runWorkers, type WorkersHandle } from '../controller/workers.js';
import { errorMessage } from '../errors.js';
import { kubeClient, type KubeClient } from '../kube/client.js';
import { EventRecorder } from '../kube/event-recorder.js';
import { LeaderElector, type LeaderElectionTimings } from '../kube/leader.js';
import { uncordonNode } from '../kube/patch.js';
import type { KubeRest } from '../kube/rest.js';
import { sweepCordons, type Step } from '../remediation/index.js';
import {
  cacheLookups,
  createOperatorMetrics,
  startAdmissionWebhook,
  startHttpServer,
  type HttpServerHandle,
  type OperatorMetrics,
} from '../server/index.js';
import { Caches, type CacheHandlers } from './caches.js';
import type { LogDetector } from './detector.js';
import { Fleet } from './fleet.js';
import { Auditor } from './auditor.js';
import { createLogger } from './logger.js';
import { toObservedNode, toObservedRemediation } from './observe.js';
import { PolicyState } from './policy-state.js';
import { operatorDetector, Reconciler, reconcileFields } from './reconciler.js';
import { triggers, type TriggerContext } from './triggers.js';

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
  /** The longest back-off of a node whose reconcile keeps failing (default: the rate limiter's, 1000 s). */
  reconcileBackoffMaxMs?: number;
  /** Tests: changes the requeue delay `decide` asked for (e.g. a timer that never fires first). */
  adjustRequeueMs?: (requeueAfterMs: number, step: Step) => number;
  /** How often the audit plans probes (default 2 s). */
  auditTickMs?: number;
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

/**
 * Where this replica is in its life: `starting` until its caches have synced, `following` while another
 * replica leads (or before it campaigns), `leading` while it reconciles, `stopped` for good.
 */
type Lifecycle = 'starting' | 'following' | 'leading' | 'stopped';

/**
 * The operator: caches on every replica, reconciles on the leader only. Builds the parts (caches, triggers,
 * fleet view, reconciler), then runs the lifecycle: readiness, leader election, start/stop acting, the HTTP
 * server, the webhook, shutdown.
 */
export async function startOperator(options: StartOperatorOptions = {}): Promise<OperatorHandle> {
  return new Operator(options).start();
}

class Operator {
  private state: Lifecycle = 'starting';
  private queue: WorkQueue | undefined;
  private workers: WorkersHandle | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private fleetTimer: NodeJS.Timeout | undefined;
  private http: HttpServerHandle | undefined;
  private webhook: { port: number; close(): Promise<void> } | undefined;
  private elector: LeaderElector | undefined;
  /** Counts the terms of leadership: a start-up that outlived its term (lost, then won again) stops there. */
  private term = 0;
  private readonly rest: KubeRest;
  private readonly namespace: string;
  private readonly allowedImages: string[];
  private readonly identity: string;
  private readonly log: Logger;
  private readonly metrics: OperatorMetrics | undefined;
  private readonly recorder: EventRecorder;
  private readonly policy: PolicyState;
  private readonly caches: Caches;
  private readonly detector: LogDetector;
  private readonly fleet: Fleet;
  private readonly auditor: Auditor;
  private readonly reconciler: Reconciler;
  private readonly readyPromise: Promise<void>;

  constructor(private readonly options: StartOperatorOptions) {
    const client = options.client ?? kubeClient(options.kubeconfig);
    const rest = (this.rest = client.rest);
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const agentImage = options.agentImage ?? DEFAULT_AGENT_IMAGE;
    const agentNamespace = options.agentNamespace ?? this.namespace;
    this.allowedImages = [agentImage, ...(options.allowedAgentImages ?? [])];
    this.identity =
      options.identity ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const log = (this.log = (options.logger ?? createLogger(options.logLevel ?? 'info')).child({
      identity: this.identity,
    }));
    const metrics = (this.metrics =
      options.metrics ?? (options.metricsPort !== undefined ? createOperatorMetrics() : undefined));
    if (metrics) rest.onResponse = (verb, code) => metrics.kubeRequest(verb, code);

    const mayAct = this.mayAct;
    this.recorder = new EventRecorder({
      rest,
      onError: (err, input) =>
        log.warn(
          { ...reconcileFields(), reason: input.reason, err: errorMessage(err) },
          'could not record an Event',
        ),
    });
    this.policy = new PolicyState(this.allowedImages, log);
    this.caches = new Caches(
      {
        rest,
        agentNamespace,
        log,
        metrics,
        informer: options.informer,
        stopped: () => this.state === 'stopped',
      },
      this.handlers(),
    );
    const { caches, policy, recorder } = this;
    this.detector = operatorDetector({ rest, log, metrics, recorder, mayAct, nodes: caches.nodes });
    this.fleet = new Fleet({
      caches,
      policy,
      rest,
      log,
      metrics,
      mayAct,
      enqueue: (node) => this.enqueue([node]),
      queueing: () => this.queue !== undefined,
      unconfirmedPods: () => this.detector.unconfirmedPods(),
      recorder,
      auditStatus: () => this.auditor.status(),
    });
    this.auditor = new Auditor({
      caches,
      fleet: this.fleet,
      policy,
      rest,
      recorder,
      log: log.child({ component: 'audit' }),
      ...(metrics ? { metrics } : {}),
      mayAct,
      agentNamespace,
      agentImage,
      ...(options.auditTickMs ? { tickMs: options.auditTickMs } : {}),
    });
    this.reconciler = new Reconciler({
      caches,
      fleet: this.fleet,
      policy,
      detector: this.detector,
      recorder,
      rest,
      log,
      metrics,
      mayAct,
      agentNamespace,
      agentImage,
      ...(options.adjustRequeueMs ? { adjustRequeueMs: options.adjustRequeueMs } : {}),
    });
    this.readyPromise = (async () => {
      await caches.policies.waitForSync();
      this.refreshPolicy();
      await caches.waitForSync();
      log.info('caches synced');
    })();
    void this.readyPromise.then(() => {
      if (this.state === 'starting') this.state = 'following';
    });
  }

  private readonly mayAct = (): boolean => this.state === 'leading';

  private enqueue(nodes: readonly (string | undefined)[]): void {
    const queue = this.queue;
    for (const node of nodes) if (node && queue && !queue.isShuttingDown()) queue.add(node);
  }

  private context(targetNamespace = this.policy.current.target.namespace): TriggerContext {
    return {
      targetNamespace,
      targetPodNode: (key) => this.caches.targetPodNode(key),
      nodesWithRemediations: () => this.caches.nodesWithRemediations(),
      nodesWithTargetPods: () => this.caches.nodesWithTargetPods(),
    };
  }

  /** What each cache change does: the node keys it queues (triggers.ts) and the fleet view it updates. */
  private handlers(): CacheHandlers {
    return {
      nodes: (e) => {
        this.auditor.observeNode(e);
        this.enqueue(triggers.nodes(e, this.context()));
        this.fleet.checkStormGuardSoon();
      },
      remediations: (e) => {
        const freed = this.fleet.observeRemediation(e);
        this.enqueue(triggers.remediations(e, this.context()));
        if (freed) this.fleet.wakeWaiters();
        else this.fleet.checkStormGuardSoon();
      },
      policies: () => this.refreshPolicy(),
      jobs: (e) => this.enqueue(triggers.jobs(e, this.context())),
      agentPods: (e) => this.enqueue(triggers.agentPods(e, this.context())),
      daemonSets: (e) => this.enqueue(triggers.daemonSets(e, this.context())),
      targetPods: (e) => {
        if (e.type === 'delete') this.detector.forget(e.object.metadata.uid ?? '');
        this.enqueue(triggers.targetPods(e, this.context()));
        this.fleet.checkStormGuardSoon();
      },
      events: (e, ns) => this.enqueue(triggers.events(e, this.context(ns))),
      // The auditor reads them on its own schedule (a probe waits for the settle delay anyway).
      kubeletStarts: () => undefined,
    };
  }

  /** The policy's spec changed (or the caches synced): act on it, watch its target, look at every node again. */
  private refreshPolicy(): void {
    if (this.policy.refresh(this.caches.policies.get(DEFAULT_POLICY_NAME))) this.warnInvalidPolicy();
    this.caches.retarget(this.policy.current.target);
    this.enqueue(triggers.policies(this.context()));
  }

  /** One Warning Event on the policy per new problem (and per term of leadership), from the leader. */
  private warnInvalidPolicy(): void {
    if (this.mayAct()) this.policy.warn(this.caches.policies.get(DEFAULT_POLICY_NAME), this.recorder);
  }

  /** Starts the caches, the HTTP server, the webhook and the campaign (or acting at once without one). */
  async start(): Promise<OperatorHandle> {
    const { options, log, metrics, caches } = this;
    caches.start();
    if (metrics) {
      metrics.setLeader(false);
      this.fleetTimer = setInterval(
        () => this.fleet.publishGauges(),
        options.policyStatusIntervalMs ?? 10_000,
      );
      this.fleetTimer.unref();
    }
    if (options.metricsPort !== undefined && metrics) {
      try {
        this.http = await startHttpServer({
          port: options.metricsPort,
          ...(options.metricsHost ? { host: options.metricsHost } : {}),
          metrics,
          isReady: () => (caches.hasSynced() ? true : { ready: false, reason: 'caches not synced yet' }),
          onError: (err) => log.warn({ err: errorMessage(err) }, 'metrics server error'),
        });
        log.info({ url: this.http.url }, 'serving /healthz, /readyz and /metrics');
      } catch (err) {
        await caches.stopCore();
        throw err;
      }
    }
    this.webhook = options.webhook
      ? await startWebhook(options.webhook, {
          rest: this.rest,
          namespace: this.namespace,
          allowedImages: this.allowedImages,
          caches,
          log,
        })
      : undefined;
    if (options.leaderElect) {
      const elector = new LeaderElector({
        rest: this.rest,
        namespace: this.namespace,
        leaseName: LEASE_NAME,
        identity: this.identity,
        ...(options.leaderTimings ? { timings: options.leaderTimings } : {}),
        onStartedLeading: () => void this.startActing(),
        onStoppedLeading: () => this.stopActing(),
        onError: (err) => log.warn({ err: errorMessage(err) }, 'leader election: request failed'),
      });
      this.elector = elector;
      // Campaign only once the caches are warm: a new leader acts on a complete view at once.
      void this.readyPromise.then(() => {
        if (this.state !== 'stopped') elector.start();
      });
    } else {
      void this.startActing();
    }
    return {
      ready: () => this.readyPromise,
      isLeader: () => this.mayAct(),
      stop: () => this.shutdown(true),
      kill: () => this.shutdown(false),
      metricsUrl: () => this.http?.url,
      webhookPort: () => this.webhook?.port,
      informerRestarts: () => caches.restarts(),
    };
  }

  private async startActing(): Promise<void> {
    if (this.state === 'leading' || this.state === 'stopped') return;
    this.state = 'leading';
    const mine = ++this.term;
    const stillMine = () => this.mayAct() && this.term === mine;
    this.log.info('leading: reconciling');
    this.metrics?.setLeader(true);
    this.fleet.newTerm();
    await this.readyPromise;
    if (!stillMine()) return;
    await this.startupSweep();
    if (!stillMine()) return;
    this.warnInvalidPolicy();
    const maxMs = this.options.reconcileBackoffMaxMs;
    const q = new WorkQueue(maxMs ? { rateLimiter: exponentialRateLimiter({ maxMs }) } : {});
    this.queue = q;
    for (const n of this.caches.nodes.list()) q.add(n.metadata.name);
    for (const n of this.caches.nodesWithRemediations()) q.add(n);
    this.workers = runWorkers(q, this.options.workers ?? 4, this.reconciler.reconcile);
    const interval = this.options.policyStatusIntervalMs ?? 10_000;
    this.statusTimer = setInterval(() => void this.fleet.publishPolicyStatus(), interval);
    this.statusTimer.unref();
    this.auditor.start();
    // The fleet view of the warm caches, now: the previous leader's last view (say, no storm) must not stand
    // for another interval after a failover.
    void this.fleet.publishPolicyStatus();
  }

  /** Releases cordons whose NodeRemediation is gone or finished (a crash between the end and the uncordon). */
  private async startupSweep(): Promise<void> {
    const releases = sweepCordons(
      this.caches.nodes.list().map((n) => toObservedNode(n)!),
      this.caches.remediations.list().map(toObservedRemediation),
    );
    for (const release of releases) {
      if (!this.mayAct()) return;
      try {
        const result = await uncordonNode(this.rest, release.node, release.expectMarker);
        this.log.info(
          { node: release.node, remediation: release.expectMarker, result },
          'start-up sweep: stale cordon',
        );
      } catch (err) {
        this.log.warn(
          { node: release.node, err: errorMessage(err) },
          'start-up sweep failed; the reconcile retries',
        );
      }
    }
  }

  private stopActing(): void {
    if (this.state !== 'leading') return;
    this.state = 'following';
    this.standDown();
  }

  private standDown(): void {
    this.log.warn('not leading any more: stopped acting');
    this.metrics?.setLeader(false);
    this.queue?.shutDown();
    this.queue = undefined;
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.auditor.stop();
    this.fleet.cancelStormCheck();
  }

  /** Graceful: stops acting, releases the lease, waits for the workers. Not graceful: like SIGKILL. */
  private async shutdown(graceful: boolean): Promise<void> {
    if (this.state === 'stopped') return;
    const wasLeading = this.state === 'leading';
    this.state = 'stopped';
    if (wasLeading) this.standDown();
    await this.elector?.stop({ release: graceful });
    if (graceful) await this.workers?.stopped;
    if (this.fleetTimer) clearInterval(this.fleetTimer);
    await this.http?.close();
    await this.webhook?.close();
    await this.caches.stop();
  }
}

/** The webhook fails open (failurePolicy Ignore): a webhook that cannot start is logged, never fatal. */
async function startWebhook(
  config: NonNullable<StartOperatorOptions['webhook']>,
  parts: { rest: KubeRest; namespace: string; allowedImages: string[]; caches: Caches; log: Logger },
) {
  const { rest, namespace, allowedImages, caches: c, log } = parts;
  const caches = cacheLookups({
    node: (name) => c.nodes.get(name),
    remediations: () => c.remediations.list(),
  });
  // Before the caches are complete "no such node" would be a wrong answer: a failed lookup is let through.
  const notYet = () => {
    throw new Error('caches not synced yet');
  };
  try {
    const handle = await startAdmissionWebhook({
      port: config.port,
      ...(config.host ? { host: config.host } : {}),
      lookups: {
        getNode: (name) => (c.hasSynced() ? caches.getNode(name) : notYet()),
        activeRemediationFor: (node) => (c.hasSynced() ? caches.activeRemediationFor(node) : notYet()),
        allowedAgentImages: allowedImages,
      },
      certificates: config.certManagerDir
        ? { mode: 'cert-manager', dir: config.certManagerDir }
        : { mode: 'self-managed', api: rest, namespace },
      ...(config.refreshIntervalMs ? { refreshIntervalMs: config.refreshIntervalMs } : {}),
      onError: (err) => log.warn({ err: errorMessage(err) }, 'admission webhook error'),
    });
    log.info({ port: handle.port }, 'serving the validating admission webhook');
    return handle;
  } catch (err) {
    log.error(
      { err: errorMessage(err) },
      'admission webhook not started; the API server lets requests through (failurePolicy Ignore)',
    );
    return undefined;
  }
}
