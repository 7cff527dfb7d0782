import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createAuditMetrics, type AuditGauges } from './audit-metrics.js';

export type { AuditGauges };

export type DetectionResult = 'confirmed' | 'unconfirmed';
export type RemediationOutcome = 'Succeeded' | 'Skipped' | 'Failed';
export type NodeState = 'watched' | 'opted_out' | 'affected' | 'cordoned_by_us';

export interface FleetGauges {
  watched: number;
  optedOut: number;
  affected: number;
  cordonedByUs: number;
  /** Non-terminal NodeRemediations. */
  active: number;
  stormGuardActive: boolean;
}

/** Seconds: detection to terminal phase; a remediation takes minutes, a stuck one up to the Job deadline. */
export const DURATION_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800];

/**
 * Reasons become a label value: anything outside a short CamelCase shape collapses to "Other" so a
 * message can never explode the series count.
 */
export function reasonLabel(reason: string | undefined): string {
  if (!reason) return '';
  return /^[A-Z][A-Za-z0-9]{0,47}$/.test(reason) ? reason : 'Other';
}

/**
 * Every reason a NodeRemediation can end `Failed` with (src/remediation/decide.ts): each gets a zero series of
 * chainmedic_remediations_failed_total at start. The *Rejected ones are refusals by the API server
 * (src/kube/error-class.ts); the alerts tell them apart from failures on the node.
 */
export const FAILED_REASONS = [
  'JobRejected',
  'CordonRejected',
  'UncordonRejected',
  'StatusRejected',
  'MaxAttemptsExceeded',
  'RestartFailed',
  'ChainsStillMissing',
  'VerifyTimeout',
  'JobLost',
  'JobFailed',
  'AgentResultUnreadable',
  'ProbeError',
  'NodeGone',
] as const;

/** HTTP status codes as label values; 0 (no response) is "network". */
export function codeLabel(code: number): string {
  return Number.isInteger(code) && code >= 100 && code <= 599 ? String(code) : 'network';
}

export interface OperatorMetrics {
  readonly registry: Registry;
  detection(result: DetectionResult): void;
  remediationFinished(outcome: RemediationOutcome, seconds: number, reason?: string): void;
  setFleet(fleet: FleetGauges): void;
  setLeader(leader: boolean): void;
  kubeRequest(verb: string, code: number): void;
  watchRestart(resource: string): void;
  /** A probe found a latent node and its NodeRemediation was created. */
  latentNodeFound(reason: string): void;
  probeJobCreated(reason: string): void;
  probeJobRejected(): void;
  /** The KubeletIPTablesInitFailed condition was written with this status. */
  chainsConditionWritten(status: 'True' | 'False' | 'Unknown'): void;
  setAudit(audit: AuditGauges): void;
  /** The explained storm's top groups (none: no storm). */
  setStormGroups(groups: readonly { attribute: string; value: string; affected: number }[]): void;
}

/** Every chainmedic metric plus the default process metrics, in `registry` (a fresh one by default). */
export function createOperatorMetrics(registry: Registry = new Registry()): OperatorMetrics {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const detections = new Counter({
    name: 'chainmedic_detections_total',
    help: 'Crash-looping target pods seen, by whether the log signature confirmed the iptables detection failure.',
    labelNames: ['result'],
    registers,
  });
  const remediations = new Counter({
    name: 'chainmedic_remediations_total',
    help: 'NodeRemediations that reached a terminal phase, by outcome and reason.',
    labelNames: ['outcome', 'reason'],
    registers,
  });
  const failed = new Counter({
    name: 'chainmedic_remediations_failed_total',
    help: 'NodeRemediations that reached Failed, by reason (the *Rejected reasons: the API server refused a step).',
    labelNames: ['reason'],
    registers,
  });
  const active = new Gauge({
    name: 'chainmedic_remediations_active',
    help: 'NodeRemediations not yet in a terminal phase.',
    registers,
  });
  const duration = new Histogram({
    name: 'chainmedic_remediation_duration_seconds',
    help: 'Time from detection to the terminal phase of a NodeRemediation.',
    labelNames: ['outcome'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const nodes = new Gauge({
    name: 'chainmedic_nodes',
    help: 'Linux nodes by state: watched, opted_out, affected (confirmed failure), cordoned_by_us.',
    labelNames: ['state'],
    registers,
  });
  const stormGuard = new Gauge({
    name: 'chainmedic_storm_guard_active',
    help: '1 while more nodes are affected than the policy maxUnhealthy allows (no remediation starts).',
    registers,
  });
  const leader = new Gauge({
    name: 'chainmedic_leader',
    help: '1 on the replica that holds the leader lease.',
    registers,
  });
  const kubeRequests = new Counter({
    name: 'chainmedic_kube_requests_total',
    help: 'Kubernetes API requests by verb and HTTP status code ("network" when no response came).',
    labelNames: ['verb', 'code'],
    registers,
  });
  const watchRestarts = new Counter({
    name: 'chainmedic_watch_restarts_total',
    help: 'Informer watches re-opened after an error or expiry, by resource.',
    labelNames: ['resource'],
    registers,
  });

  // Zero series exist from the start, so alerts and rate() see them before the first event.
  for (const result of ['confirmed', 'unconfirmed']) detections.inc({ result }, 0);
  for (const reason of FAILED_REASONS) failed.inc({ reason }, 0);
  for (const state of ['watched', 'opted_out', 'affected', 'cordoned_by_us']) nodes.set({ state }, 0);
  active.set(0);
  stormGuard.set(0);
  leader.set(0);

  return {
    registry,
    detection: (result) => detections.inc({ result }),
    remediationFinished: (outcome, seconds, reason) => {
      remediations.inc({ outcome, reason: reasonLabel(reason) });
      if (outcome === 'Failed') failed.inc({ reason: reasonLabel(reason) });
      if (Number.isFinite(seconds) && seconds >= 0) duration.observe({ outcome }, seconds);
    },
    setFleet: (fleet) => {
      nodes.set({ state: 'watched' }, fleet.watched);
      nodes.set({ state: 'opted_out' }, fleet.optedOut);
      nodes.set({ state: 'affected' }, fleet.affected);
      nodes.set({ state: 'cordoned_by_us' }, fleet.cordonedByUs);
      active.set(fleet.active);
      stormGuard.set(fleet.stormGuardActive ? 1 : 0);
    },
    setLeader: (isLeader) => leader.set(isLeader ? 1 : 0),
    kubeRequest: (verb, code) => kubeRequests.inc({ verb: verb.toLowerCase(), code: codeLabel(code) }),
    watchRestart: (resource) => watchRestarts.inc({ resource }),
    ...createAuditMetrics(registers),
  };
}
