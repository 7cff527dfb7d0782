/**
 * The operator's caches: one informer per watched kind, trimmed, indexed by node in the informer itself, and
 * the target DaemonSet's informers re-created when the policy names another target.
 */
import type { Logger } from 'pino';
import { LABEL_APP, LABEL_APP_VALUE, LABEL_NODE } from '../api/index.js';
import { errorMessage } from '../errors.js';
import { Informer, type Cached, type InformerEvent } from '../kube/informer.js';
import { paths } from '../kube/paths.js';
import type { KubeRest } from '../kube/rest.js';
import type { OperatorMetrics } from '../server/index.js';
import { BY_NODE, nodeOf, quietUpdates, type TriggerContext } from './triggers.js';
import type { Shape } from '../kube/pruned-json.js';
import {
  DAEMON_SET_SHAPE,
  EVENT_SHAPE,
  JOB_SHAPE,
  NODE_SHAPE,
  podShape,
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
/** kubelet records its Node's Events in `default` (a cluster-scoped object's Events go there). */
const NODE_EVENTS_NAMESPACE = 'default';
/** kube-proxy posts `Starting` on the Node too: only kubelet's. */
const KUBELET_STARTS_SELECTOR = 'involvedObject.kind=Node,reason=Starting,source=kubelet';

type Handler<T> = (event: InformerEvent<T>) => void;

/** Who hears of each kind's changes (announced changes only: quiet updates are not). */
export interface CacheHandlers {
  nodes: Handler<TrimmedNode>;
  remediations: Handler<CachedRemediation>;
  policies: Handler<CachedPolicy>;
  jobs: Handler<TrimmedJob>;
  agentPods: Handler<TrimmedPod>;
  daemonSets: Handler<TrimmedDaemonSet>;
  targetPods: Handler<TrimmedPod>;
  events: (event: InformerEvent<TrimmedEvent>, targetNamespace: string) => void;
  kubeletStarts: Handler<TrimmedEvent>;
}

/**
 * Keeps a view of the fleet current from the caches' changes (the fleet index): it hears every announced change
 * of the nodes, the target pods and the remediations before the operator's handlers do, and is told when the
 * target's DaemonSet or its pods' informer changed (then it rebuilds from the caches).
 */
export interface FleetListener {
  node(event: InformerEvent<TrimmedNode>): void;
  targetPod(event: InformerEvent<TrimmedPod>): void;
  remediation(event: InformerEvent<CachedRemediation>): void;
  invalidate(): void;
}

export interface CachesOptions {
  rest: KubeRest;
  agentNamespace: string;
  log: Logger;
  metrics?: OperatorMetrics;
  informer?: { watchGraceMs?: number; backoffMaxMs?: number; watchTimeoutSeconds?: number };
  /** True once the operator shuts down: no target informer is created any more. */
  stopped: () => boolean;
}

interface Target {
  key: string;
  namespace: string;
  daemonSets: Informer<TrimmedDaemonSet>;
  events: Informer<TrimmedEvent>;
  pods?: Informer<TrimmedPod>;
  selector?: string;
}

function labelSelectorOf(ds: TrimmedDaemonSet | undefined): string | undefined {
  const labels = ds?.spec.selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export class Caches implements Pick<TriggerContext, 'nodesWithRemediations' | 'nodesWithTargetPods'> {
  readonly nodes: Informer<TrimmedNode>;
  readonly remediations: Informer<CachedRemediation>;
  readonly policies: Informer<CachedPolicy>;
  readonly jobs: Informer<TrimmedJob>;
  readonly agentPods: Informer<TrimmedPod>;
  /** kubelet's `Starting` Events on Nodes (a latent node can only appear after kubelet started). */
  readonly kubeletStarts: Informer<TrimmedEvent>;
  private target: Target | undefined;
  private synced = false;
  private readonly listeners: FleetListener[] = [];
  private readonly core: Pick<Informer<Cached>, 'start' | 'stop' | 'waitForSync' | 'restarts'>[];

  constructor(
    private readonly options: CachesOptions,
    private readonly handlers: CacheHandlers,
  ) {
    this.nodes = this.informer('nodes', paths.nodes(), trimNode, {
      shape: NODE_SHAPE,
      quietUpdate: quietUpdates.nodes,
    });
    this.remediations = this.informer('noderemediations', paths.remediations(), trimRemediation);
    this.remediations.addIndex(BY_NODE, nodeOf.remediation);
    this.policies = this.informer('remediationpolicies', paths.policies(), trimPolicy, {
      quietUpdate: quietUpdates.policies,
    });
    this.jobs = this.informer('jobs', paths.jobs(options.agentNamespace), trimJob, {
      shape: JOB_SHAPE,
      labelSelector: JOB_LABEL_SELECTOR,
    });
    this.jobs.addIndex(BY_NODE, nodeOf.job);
    // The pods of both kinds of Job (remediation and probe) carry the node label.
    this.agentPods = this.informer(
      'agent-pods',
      paths.pods(options.agentNamespace),
      podTrimmer(['job-name']),
      {
        shape: podShape(['job-name']),
        labelSelector: LABEL_NODE,
      },
    );
    this.kubeletStarts = this.informer('kubelet-starts', paths.events(NODE_EVENTS_NAMESPACE), trimEvent, {
      shape: EVENT_SHAPE,
      fieldSelector: KUBELET_STARTS_SELECTOR,
      watchTimeoutSeconds: EVENTS_WATCH_TIMEOUT_SECONDS,
    });
    this.kubeletStarts.addIndex(BY_NODE, nodeOf.nodeEvent);
    this.nodes.on((e) => this.listeners.forEach((l) => l.node(e)));
    this.nodes.on(handlers.nodes);
    this.remediations.on((e) => this.listeners.forEach((l) => l.remediation(e)));
    this.remediations.on(handlers.remediations);
    this.policies.on(handlers.policies);
    this.jobs.on(handlers.jobs);
    this.agentPods.on(handlers.agentPods);
    this.kubeletStarts.on(handlers.kubeletStarts);
    this.core = [this.nodes, this.remediations, this.policies, this.jobs, this.agentPods, this.kubeletStarts];
  }

  start(): void {
    for (const informer of this.core) informer.start();
  }

  /** From now on, the listener hears every change a fleet view reads (it rebuilds once from the caches first). */
  subscribe(listener: FleetListener): void {
    this.listeners.push(listener);
    listener.invalidate();
  }

  private invalidateListeners(): void {
    for (const l of this.listeners) l.invalidate();
  }

  /** Resolves once every cache, the target's included, has synced (following a target change). */
  async waitForSync(): Promise<void> {
    await Promise.all(this.core.map((i) => i.waitForSync()));
    for (;;) {
      const t = this.target;
      if (!t) break;
      await t.daemonSets.waitForSync();
      await t.events.waitForSync();
      if (t.pods) await t.pods.waitForSync();
      if (t === this.target && (t.pods !== undefined || !labelSelectorOf(this.daemonSet()))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    this.synced = true;
  }

  /** True once `waitForSync` has resolved. */
  hasSynced(): boolean {
    return this.synced;
  }

  daemonSet(): TrimmedDaemonSet | undefined {
    return this.target?.daemonSets.list()[0];
  }

  targetPods(): TrimmedPod[] {
    return this.target?.pods?.list() ?? [];
  }

  targetPodsOn(node: string): TrimmedPod[] {
    return this.target?.pods?.byIndex(BY_NODE, node) ?? [];
  }

  targetPodNode(key: string): string | undefined {
    return this.target?.pods?.get(key)?.spec.nodeName;
  }

  remediationsOn(node: string): CachedRemediation[] {
    return this.remediations.byIndex(BY_NODE, node);
  }

  /** ms: the latest kubelet start on the node its Starting Events tell. */
  kubeletStartedAt(node: string): number | undefined {
    let latest: number | undefined;
    for (const e of this.kubeletStarts.byIndex(BY_NODE, node)) {
      const at = Date.parse(e.lastTimestamp ?? '');
      if (Number.isFinite(at) && (latest === undefined || at > latest)) latest = at;
    }
    return latest;
  }

  jobsOn(node: string): TrimmedJob[] {
    return this.jobs.byIndex(BY_NODE, node);
  }

  nodesWithRemediations(): string[] {
    return this.remediations.indexValues(BY_NODE);
  }

  nodesWithTargetPods(): string[] {
    return this.target?.pods?.indexValues(BY_NODE) ?? [];
  }

  /** Watch restarts and relists of every informer (for metrics). */
  restarts(): number {
    const t = this.target;
    return (
      this.core.reduce((n, i) => n + i.restarts(), 0) +
      (t ? t.daemonSets.restarts() + t.events.restarts() + (t.pods?.restarts() ?? 0) : 0)
    );
  }

  /** Stops the core informers only (a start that failed before any target was watched for long). */
  async stopCore(): Promise<void> {
    await Promise.all(this.core.map((i) => i.stop()));
  }

  async stop(): Promise<void> {
    const t = this.target;
    await Promise.all([
      ...this.core.map((i) => i.stop()),
      t?.daemonSets.stop(),
      t?.events.stop(),
      t?.pods?.stop(),
    ]);
  }

  /** Watches this DaemonSet, its pods and the BackOff events of its namespace (nothing when it is already). */
  retarget(target: { namespace: string; daemonSet: string }): void {
    const key = `${target.namespace}/${target.daemonSet}`;
    if (this.target?.key === key || this.options.stopped()) return;
    const old = this.target;
    if (old) {
      void old.daemonSets.stop();
      void old.events.stop();
      void old.pods?.stop();
    }
    const ns = target.namespace;
    const daemonSets = this.informer(
      'daemonsets',
      `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/daemonsets`,
      trimDaemonSet,
      {
        shape: DAEMON_SET_SHAPE,
        fieldSelector: `metadata.name=${target.daemonSet}`,
        quietUpdate: quietUpdates.daemonSets,
      },
    );
    const events = this.informer('backoff-events', paths.events(ns), trimEvent, {
      shape: EVENT_SHAPE,
      fieldSelector: 'reason=BackOff',
      watchTimeoutSeconds: EVENTS_WATCH_TIMEOUT_SECONDS,
    });
    this.target = { key, namespace: ns, daemonSets, events };
    this.invalidateListeners();
    daemonSets.on((e) => {
      const selector = labelSelectorOf(this.daemonSet());
      if (this.target && selector !== this.target.selector) this.startPods(selector);
      this.invalidateListeners();
      this.handlers.daemonSets(e);
    });
    events.on((e) => this.handlers.events(e, ns));
    daemonSets.start();
    events.start();
  }

  /** (Re)starts the target pods' informer for the DaemonSet's selector (none without one). */
  private startPods(selector: string | undefined): void {
    const target = this.target;
    if (!target || this.options.stopped()) return;
    const old = target.pods;
    target.selector = selector;
    target.pods = undefined;
    void old?.stop();
    this.invalidateListeners();
    if (!selector) return;
    // Keep the labels the selector reads: isTargetPod matches them again, client-side.
    const sel = this.daemonSet()?.spec.selector;
    const keys = [...Object.keys(sel?.matchLabels ?? {}), ...(sel?.matchExpressions ?? []).map((e) => e.key)];
    const pods = this.informer(
      'target-pods',
      paths.pods(target.namespace),
      podTrimmer(keys, { images: true }),
      {
        shape: podShape(keys),
        labelSelector: selector,
      },
    );
    pods.addIndex(BY_NODE, nodeOf.pod);
    pods.on((e) => this.listeners.forEach((l) => l.targetPod(e)));
    pods.on(this.handlers.targetPods);
    target.pods = pods;
    pods.start();
  }

  private informer<T extends Cached>(
    what: string,
    path: string,
    transform: (raw: unknown) => T,
    extra: {
      shape?: Shape;
      labelSelector?: string;
      fieldSelector?: string;
      watchTimeoutSeconds?: number;
      quietUpdate?: (old: T, next: T) => boolean;
    } = {},
  ): Informer<T> {
    const { log, metrics, informer: tuning = {} } = this.options;
    return new Informer<T>({
      rest: this.options.rest,
      path,
      transform,
      pageSize: LIST_PAGE_SIZE,
      ...extra,
      ...Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined)),
      onError: (err) =>
        log.warn({ informer: what, err: errorMessage(err) }, 'informer error (it recovers by itself)'),
      onRestart: () => metrics?.watchRestart(what),
    });
  }
}
