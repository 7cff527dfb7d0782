/**
 * The audit's effects: every tick (leader only) it gathers each node's state from the caches, asks
 * `planProbes` (src/audit/plan.ts, pure) which nodes to probe, and creates those probe Jobs. What a probe finds
 * is read back by the node's reconcile (the Node condition, and a NodeRemediation for a latent node).
 *
 * A reboot is seen as a new status.nodeInfo.bootID. The previous bootID is held in memory (every replica keeps
 * it from its node watch): after an operator restart the kubelet's Starting Event of that boot still triggers
 * the probe (Events live an hour), so nothing is lost but the reason.
 */
import type { Logger } from 'pino';
import { LABEL_PROBE, type NodeRemediationStatus } from '../api/index.js';
import { lastProbedAt } from '../audit/findings.js';
import { planProbes, type AuditNode, type ProbeOrder } from '../audit/plan.js';
import { errorMessage } from '../errors.js';
import { RefusedError, refusable } from '../kube/error-class.js';
import { isAlreadyExists } from '../kube/errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { InformerEvent } from '../kube/informer.js';
import { paths } from '../kube/paths.js';
import type { KubeRest } from '../kube/rest.js';
import { buildProbeJob, isActive, observeNode } from '../remediation/index.js';
import { toObservedRemediation } from './observe.js';
import type { OperatorMetrics } from '../server/index.js';
import type { Caches } from './caches.js';
import type { AuditStatus, Fleet } from './fleet.js';
import type { PolicyState } from './policy-state.js';
import type { TrimmedJob, TrimmedNode } from './trim.js';

const TICK_MS = 2_000;
/** A node whose probe Job the API server refused is not asked again for this long. */
const REFUSED_BACKOFF_MS = 10 * 60_000;

export interface AuditorOptions {
  caches: Caches;
  fleet: Fleet;
  policy: PolicyState;
  rest: KubeRest;
  recorder: EventRecorder;
  log: Logger;
  metrics?: OperatorMetrics;
  mayAct: () => boolean;
  agentNamespace: string;
  agentImage: string;
  tickMs?: number;
}

export class Auditor {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly bootIDs = new Map<string, string>();
  private readonly reboots = new Map<string, { at: number; bootID: string }>();
  private readonly refusedUntil = new Map<string, number>();
  private lastStatus: AuditStatus | undefined;

  constructor(private readonly o: AuditorOptions) {}

  /** Every replica follows the nodes' bootIDs (a new leader knows the reboots its predecessor saw too). */
  observeNode(e: InformerEvent<TrimmedNode>): void {
    const name = e.object.metadata.name;
    if (e.type === 'delete') {
      this.bootIDs.delete(name);
      this.reboots.delete(name);
      this.refusedUntil.delete(name);
      return;
    }
    const bootID = e.object.status.nodeInfo?.bootID;
    if (!bootID) return;
    const before = this.bootIDs.get(name);
    this.bootIDs.set(name, bootID);
    if (before !== undefined && before !== bootID) this.reboots.set(name, { at: Date.now(), bootID });
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? TICK_MS);
    this.timer.unref();
  }

  /** Leadership lost (or shutdown): the coverage gauges fall to zero, so a standby never exports stale counts. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clearStatus();
  }

  /** The coverage as of the last tick (for the policy status and the gauges). */
  status(): AuditStatus | undefined {
    return this.lastStatus;
  }

  /**
   * No coverage to report: the policy status drops it and the gauges read zero. ChainmedicLatentNodes takes the
   * max over replicas: a replica that stopped leading or auditing must not keep its last chains_missing count.
   */
  private clearStatus(): void {
    if (this.lastStatus === undefined) return;
    this.lastStatus = undefined;
    this.o.metrics?.setAudit({});
  }

  /** One round: plan, then create the planned probe Jobs. Exposed for tests. */
  async tick(now = Date.now()): Promise<ProbeOrder[]> {
    if (this.running || !this.o.mayAct()) return [];
    if (!this.o.policy.current.audit.enabled) {
      // Nothing to plan: no walk over the fleet every tick.
      this.clearStatus();
      return [];
    }
    this.running = true;
    try {
      const orders = this.plan(now);
      for (const order of orders) {
        if (!this.o.mayAct()) break;
        await this.createProbe(order);
      }
      return orders;
    } finally {
      this.running = false;
    }
  }

  private plan(now: number): ProbeOrder[] {
    const { caches, fleet } = this.o;
    const policy = this.o.policy.current;
    const probeJobs = caches.jobs.list().filter((j) => j.metadata.labels[LABEL_PROBE] !== undefined);
    const probing = new Set<string>();
    const newestProbe = new Map<string, number>();
    let running = 0;
    const rollingStarts: number[] = [];
    for (const j of probeJobs) {
      const node = j.nodeName ?? '';
      const created = Date.parse(j.metadata.creationTimestamp ?? '') || now;
      newestProbe.set(node, Math.max(newestProbe.get(node) ?? 0, created));
      if (!finished(j)) {
        running++;
        probing.add(node);
      }
      if (j.metadata.labels[LABEL_PROBE] === 'Rolling') rollingStarts.push(created);
    }
    const storm = fleet.stormNodes();
    const nodes: AuditNode[] = [];
    let eligibleCount = 0;
    let covered = 0;
    let missing = 0;
    let lastProbe: number | undefined;
    for (const trimmed of caches.nodes.list()) {
      const node = observeNode(trimmed);
      if (node.os !== 'linux') continue;
      const name = node.name;
      const conditionAt = lastProbedAt(node.chains);
      if (node.chains?.status === 'True') missing++;
      if (conditionAt !== undefined) lastProbe = Math.max(lastProbe ?? 0, conditionAt);
      const refused = (this.refusedUntil.get(name) ?? 0) > now;
      const eligible = node.ready && node.optOut !== 'true' && !node.operation && !refused;
      if (eligible) {
        eligibleCount++;
        if (conditionAt !== undefined && now - conditionAt <= policy.audit.intervalMs) covered++;
      }
      const active = caches.remediationsOn(name).map(toObservedRemediation).filter(isActive);
      const probed = Math.max(conditionAt ?? -Infinity, newestProbe.get(name) ?? -Infinity);
      nodes.push({
        name,
        uid: trimmed.metadata.uid ?? '',
        eligible,
        probing: probing.has(name),
        active: active.length > 0,
        atGate: active.length > 0 && active.every((r) => atGate(r.status)),
        ...(Number.isFinite(probed) ? { lastProbedAt: probed } : {}),
        ...this.kubeletStart(name),
        inStorm: storm?.nodes.has(name) === true,
      });
    }
    this.lastStatus = {
      eligibleNodes: eligibleCount,
      probedWithinInterval: covered,
      probesRunning: running,
      chainsMissing: missing,
      ...(lastProbe !== undefined ? { lastProbe: new Date(lastProbe).toISOString() } : {}),
    };
    this.o.metrics?.setAudit(this.lastStatus);
    return planProbes({
      now,
      audit: policy.audit,
      paused: policy.paused || !this.o.policy.result().ok,
      nodes,
      running,
      rollingStarts,
      ...(storm ? { stormSince: storm.since } : {}),
    });
  }

  /** The latest kubelet start: its Starting Event, or a new bootID (a reboot), whichever is later. */
  private kubeletStart(name: string): Pick<AuditNode, 'kubeletStart'> {
    const event = this.o.caches.kubeletStartedAt(name);
    const reboot = this.reboots.get(name);
    if (reboot && (event === undefined || reboot.at >= event - 60_000)) {
      return {
        kubeletStart: { at: Math.max(reboot.at, event ?? 0), reason: 'Rebooted', key: reboot.bootID },
      };
    }
    if (event !== undefined)
      return { kubeletStart: { at: event, reason: 'KubeletStarted', key: String(event) } };
    return {};
  }

  private async createProbe(order: ProbeOrder): Promise<void> {
    const { rest, caches, log } = this.o;
    const policy = this.o.policy.current;
    const job = buildProbeJob({
      node: { name: order.node, uid: order.uid },
      reason: order.reason,
      key: order.key,
      namespace: this.o.agentNamespace,
      image: policy.job.image ?? this.o.agentImage,
      timeoutSeconds: policy.job.timeoutSeconds,
      ttlAfterFinishedSeconds: policy.job.ttlAfterFinishedSeconds,
    });
    try {
      caches.jobs.upsert(
        await refusable('createJob', () => rest.create(paths.jobs(this.o.agentNamespace), job)),
      );
      this.o.metrics?.probeJobCreated(order.reason);
      log.info({ node: order.node, job: job.metadata.name, reason: order.reason }, 'probe Job created');
    } catch (err) {
      if (isAlreadyExists(err)) return;
      if (!(err instanceof RefusedError)) {
        log.warn(
          { node: order.node, err: errorMessage(err) },
          'could not create a probe Job (retried next round)',
        );
        return;
      }
      this.refusedUntil.set(order.node, Date.now() + REFUSED_BACKOFF_MS);
      this.o.metrics?.probeJobRejected();
      const { code, reason, message } = err.refusal;
      log.error({ node: order.node, code, reason, err: message }, 'probe Job refused by the API server');
      void this.o.recorder.record({
        object: {
          apiVersion: 'v1',
          kind: 'Node',
          name: order.node,
          ...(order.uid ? { uid: order.uid } : {}),
        },
        type: 'Warning',
        reason: 'ProbeRejected',
        message:
          `The API server refused the probe Job for node ${order.node} (${code} ${reason}): ${message.slice(0, 2000)} ` +
          `Not asked again for ${REFUSED_BACKOFF_MS / 60_000} minutes.`,
      });
    }
  }
}

function finished(j: TrimmedJob): boolean {
  return j.status.complete || j.status.failed;
}

function atGate(status: NodeRemediationStatus | undefined): boolean {
  const phase = status?.phase ?? 'Pending';
  return phase === 'Pending' || phase === 'Waiting';
}
