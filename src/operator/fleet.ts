/**
 * The fleet view: the snapshot the gates count slots and the storm guard in (shared while the caches'
 * version is unchanged), the gates waiting for a slot and their wake-ups, the fleet gauges, and the fleet view
 * published on the policy's status.
 */
import type { Logger } from 'pino';
import { DEFAULT_POLICY_NAME, isTerminal } from '../api/index.js';
import type { NodeRemediationStatus, RemediationPolicyStatus } from '../api/index.js';
import { resolveMaxUnhealthy } from '../config/policy.js';
import { errorMessage } from '../errors.js';
import type { InformerEvent } from '../kube/informer.js';
import { paths } from '../kube/paths.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { KubeRest } from '../kube/rest.js';
import { fleetCounts, type FleetCounts, type FleetSnapshot, type NodeFacts } from '../remediation/index.js';
import type { OperatorMetrics } from '../server/index.js';
import type { Caches } from './caches.js';
import { FleetIndex } from './fleet-index.js';
import { nodeFacts } from './observe.js';
import { policyStatusFromCaches } from './policy-status.js';
import type { PolicyState } from './policy-state.js';
import type { CachedRemediation } from './trim.js';
import { StormTracker } from './storm.js';
import { GateWaiters } from './waiting.js';

const STORM_CHECK_MS = 250;

export interface FleetOptions {
  caches: Caches;
  policy: PolicyState;
  rest: KubeRest;
  log: Logger;
  metrics?: OperatorMetrics;
  /** True while this replica leads. */
  mayAct: () => boolean;
  /** Queues a node's reconcile (nothing when there is no queue). */
  enqueue: (node: string) => void;
  /** True while a work queue runs (this replica leads and has started its workers). */
  queueing: () => boolean;
  /** Pods crash-looping without the signature (for the policy status). */
  unconfirmedPods: () => number;
  recorder: EventRecorder;
  /** The audit's coverage (for the policy status). */
  auditStatus?: () => AuditStatus | undefined;
}

export type AuditStatus = NonNullable<RemediationPolicyStatus['audit']>;

export class Fleet {
  private readonly waiters = new GateWaiters();
  /** Kept current by the caches (it subscribes to them). */
  private readonly index: FleetIndex;
  private stormCheck: NodeJS.Timeout | undefined;
  /** What this replica last published in its current term ('' at the start of every term). */
  private lastPolicyStatus = '';
  readonly storm: StormTracker;

  constructor(private readonly o: FleetOptions) {
    const c = o.caches;
    this.index = new FleetIndex({
      nodes: () => c.nodes.list(),
      targetPods: () => c.targetPods(),
      targetPodsOn: (node) => c.targetPodsOn(node),
      daemonSet: () => c.daemonSet(),
      remediations: () => c.remediations.list(),
      policy: () => o.policy.current,
    });
    c.subscribe(this.index);
    this.storm = new StormTracker({
      policy: () => o.caches.policies.get(DEFAULT_POLICY_NAME),
      recorder: o.recorder,
      log: o.log,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      mayAct: o.mayAct,
    });
  }

  /** A remediation changed: keeps the waiters; true when it gave up a slot. */
  observeRemediation(e: InformerEvent<CachedRemediation>): boolean {
    const key = e.object.metadata.name;
    if (e.type === 'delete') return this.waiters.forget(key);
    const { spec, status } = e.object;
    return this.waiters.observe(key, spec?.nodeName, status?.phase, status?.reason);
  }

  /** A slot came free or the storm guard lifted: the gates get another look now, not on their timer. */
  wakeWaiters(): void {
    for (const node of this.waiters.nodes()) this.o.enqueue(node);
  }

  /**
   * While a remediation waits for the storm guard, fleet changes re-check it (coalesced: one O(fleet) pass
   * per STORM_CHECK_MS at most) and wake the waiting gates once it has lifted.
   */
  checkStormGuardSoon(): void {
    if (this.stormCheck || !this.o.queueing() || !this.waiters.heldByStormGuard()) return;
    this.stormCheck = setTimeout(() => {
      this.stormCheck = undefined;
      if (!this.o.mayAct() || !this.waiters.heldByStormGuard()) return;
      const fleet = fleetCounts(this.snapshot());
      if (fleet.affectedNodes <= resolveMaxUnhealthy(this.o.policy.current.maxUnhealthy, fleet.linuxNodes))
        this.wakeWaiters();
      else if (this.storm.view()?.released) this.wakeWaiters();
    }, STORM_CHECK_MS);
    this.stormCheck.unref();
  }

  cancelStormCheck(): void {
    if (this.stormCheck) clearTimeout(this.stormCheck);
    this.stormCheck = undefined;
  }

  /** The counts a gate decides on (its own node's slots apart), current with every announced change. */
  counts(nodeName: string): FleetCounts {
    const storm = this.storm.view();
    return { ...fleetCounts(this.snapshot(), nodeName), ...(storm ? { storm } : {}) };
  }

  /** The nodes affected in the storm the guard holds (none without a storm), and since when. */
  stormNodes(): { since: number; nodes: ReadonlySet<string> } | undefined {
    const since = this.storm.since();
    if (since === undefined) return undefined;
    return { since, nodes: this.index.snapshot().affected };
  }

  /** The snapshot now; the storm begins or ends with it. */
  private snapshot(): FleetSnapshot {
    const snapshot = this.index.snapshot();
    const limit = resolveMaxUnhealthy(this.o.policy.current.maxUnhealthy, snapshot.linuxNodes);
    this.storm.observe(snapshot.affected.size > limit, Date.now());
    return snapshot;
  }

  /** Explains the storm (if one holds) from the caches: each Linux node's facts, the affected ones apart. */
  private explainStorm(snapshot: FleetSnapshot): void {
    if (this.storm.since() === undefined) return;
    const c = this.o.caches;
    const container = this.o.policy.current.target.container;
    const images = new Map<string, string>();
    for (const pod of c.targetPods()) {
      const image = pod.spec.images?.[container];
      if (pod.spec.nodeName && image) images.set(pod.spec.nodeName, image);
    }
    const fleet: NodeFacts[] = [];
    const affected: NodeFacts[] = [];
    for (const node of c.nodes.list()) {
      if (node.metadata.labels['kubernetes.io/os'] !== 'linux') continue;
      const facts = nodeFacts(node, images.get(node.metadata.name));
      fleet.push(facts);
      if (snapshot.affected.has(facts.name)) affected.push(facts);
    }
    this.storm.explain(affected, fleet);
  }

  /** A status write moved a remediation into a terminal phase (for metrics). */
  onFinished(nr: CachedRemediation, status: NodeRemediationStatus): void {
    const metrics = this.o.metrics;
    if (!metrics || !isTerminal(status.phase)) return;
    const start = Date.parse(
      nr.spec.trigger.observedAt ?? nr.metadata.creationTimestamp ?? status.startTime ?? '',
    );
    const end = Date.parse(status.completionTime ?? new Date().toISOString());
    const seconds = Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, (end - start) / 1000) : 0;
    metrics.remediationFinished(status.phase as 'Succeeded' | 'Skipped' | 'Failed', seconds, status.reason);
  }

  /** Fleet gauges (every replica keeps them, leader or not). */
  publishGauges(): void {
    const { metrics, caches: c } = this.o;
    if (!metrics) return;
    const snapshot = this.index.snapshot();
    const marks = this.index.marks();
    const limit = resolveMaxUnhealthy(this.o.policy.current.maxUnhealthy, snapshot.linuxNodes);
    metrics.setFleet({
      watched: snapshot.linuxNodes,
      optedOut: marks.optedOut,
      affected: snapshot.affected.size,
      cordonedByUs: marks.cordonedByUs,
      active: c.remediations.list().filter((r) => !isTerminal(r.status?.phase)).length,
      // As the policy status says it: an invalid policy holds no storm guard (the operator acts as paused).
      stormGuardActive: this.o.policy.result().ok && snapshot.affected.size > limit,
    });
  }

  /** A new term: another replica may have published since; never skip a status for matching our own. */
  newTerm(): void {
    this.lastPolicyStatus = '';
    this.storm.newTerm();
  }

  /** The fleet view on the policy's status (the leader only; unchanged views are not written again). */
  async publishPolicyStatus(): Promise<void> {
    const { caches: c, policy } = this.o;
    const obj = c.policies.get(DEFAULT_POLICY_NAME);
    if (!obj || !this.o.mayAct()) return;
    const snapshot = this.snapshot();
    this.explainStorm(snapshot);
    const storm = this.storm.status();
    const audit = this.o.auditStatus?.();
    const fleetStatus = policyStatusFromCaches(
      policy.current,
      snapshot,
      this.index.marks().optedOut,
      c.remediations.list(),
      this.o.unconfirmedPods(),
      obj.metadata.generation,
      { validity: policy.result(), ...(obj.status ? { previous: obj.status } : {}) },
    );
    const status = {
      ...fleetStatus,
      ...(audit ? { audit } : {}),
      // null removes a storm that ended (a merge patch).
      storm: storm ?? null,
      conditions: (fleetStatus.conditions ?? []).map((cond) =>
        cond.type === 'StormActive' && storm
          ? {
              ...cond,
              message:
                `${cond.message} Storm ${storm.id}${storm.released ? ' (released)' : ''}: ${storm.headline ?? 'not explained yet'}`.slice(
                  0,
                  32768,
                ),
            }
          : cond,
      ),
    };
    const text = JSON.stringify(status);
    if (text === this.lastPolicyStatus) return;
    try {
      await this.o.rest.patch(paths.policyStatus(DEFAULT_POLICY_NAME), 'application/merge-patch+json', {
        status,
      });
      this.lastPolicyStatus = text;
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'could not update the RemediationPolicy status');
    }
  }
}
