/**
 * What happened to every node, from the simulated cluster's own writes: the measurement and the judge shared by
 * `chainmedic demo`, `bench` and `soak`. Pure: it is fed (resource, watch event type, object, wall time in ms)
 * and never reads a clock, so it is tested with plain objects and is exact when fed from the sim's store.
 */
import {
  CORDON_MARKER_ANNOTATION,
  LABEL_REMEDIATION,
  OPT_OUT_ANNOTATION,
  SLOT_PHASES,
  TERMINAL_PHASES,
  type Phase,
} from '../../src/api/index.js';
import { DEFAULT_POLICY_SPEC } from '../../src/config/policy.js';
import { classifyPod, type PodLike } from '../../src/detect/index.js';

export type TimelineResource = 'nodes' | 'pods' | 'jobs' | 'noderemediations' | 'remediationpolicies';
export type TimelineEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface PhaseEntry {
  phase: Phase;
  reason?: string;
  atMs: number;
}

export interface JobTimeline {
  name: string;
  createdMs: number;
  finishedMs?: number;
  succeeded?: boolean;
}

export interface RemediationTimeline {
  name: string;
  node: string;
  podUid?: string;
  createdMs: number;
  /** When the episode's azure-npm pod first looked crash-looping (a suspect status write), if seen. */
  suspectMs?: number;
  phase: Phase;
  reason?: string;
  message?: string;
  /** Every phase change, in order (the first entry is the phase at creation, usually Pending). */
  phases: PhaseEntry[];
  terminalMs?: number;
  wasUnschedulable?: boolean;
  cordonedByUs?: boolean;
  agentOutcome?: string;
  kubeletRestarted?: boolean;
  attempts: number;
  jobs: JobTimeline[];
  deleted: boolean;
}

export interface NodeTimeline {
  name: string;
  os?: string;
  unschedulable: boolean;
  cordonedBy?: string;
  optOut?: string;
  /** A chainmedic cordon marker was ever seen on the node. */
  everMarked: boolean;
  /** The node became unschedulable at some point while we watched (it was schedulable before). */
  everCordonedWhileWatched: boolean;
  /** Pod of the azure-npm (linux) DaemonSet on the node. */
  npmPod?: { name: string; uid: string; ready: boolean; crashLooping: boolean };
  /** Wall times the node's azure-npm container became Ready (after not being Ready). */
  npmReadyTimes: number[];
}

/** A moment when more remediations held a slot than allowed, or one started while the storm guard was on. */
export interface TimelineViolation {
  kind: 'maxConcurrent' | 'stormGuard';
  atMs: number;
  detail: string;
}

const SUSPECT_POLICY = {
  target: { ...DEFAULT_POLICY_SPEC.target },
  crashLoopRestartThreshold: DEFAULT_POLICY_SPEC.crashLoopRestartThreshold,
};

interface RawObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

function isNpmLinuxPod(pod: RawObject): boolean {
  const owners = pod.metadata?.ownerReferences ?? [];
  return (
    pod.metadata?.namespace === SUSPECT_POLICY.target.namespace &&
    owners.some((o) => o.kind === 'DaemonSet' && o.name === SUSPECT_POLICY.target.daemonSet)
  );
}

function containerReady(pod: RawObject): boolean {
  const statuses = (pod.status?.containerStatuses ?? []) as { name: string; ready?: boolean }[];
  return statuses.some((c) => c.name === SUSPECT_POLICY.target.container && c.ready === true);
}

function jobFinished(job: RawObject): { done: boolean; succeeded: boolean } {
  const conditions = (job.status?.conditions ?? []) as { type: string; status: string }[];
  const complete = conditions.some((c) => c.type === 'Complete' && c.status === 'True');
  const failed = conditions.some((c) => c.type === 'Failed' && c.status === 'True');
  return { done: complete || failed, succeeded: complete };
}

export class FleetTimeline {
  readonly nodes = new Map<string, NodeTimeline>();
  readonly remediations = new Map<string, RemediationTimeline>();
  readonly violations: TimelineViolation[] = [];
  /** Suspect-since time per azure-npm pod uid (cleared when its container is Ready again). */
  private readonly suspectSince = new Map<string, number>();
  /** azure-npm pods seen before their node (two watches): applied when the node arrives. */
  private readonly podsBeforeNode = new Map<string, { pod: RawObject; atMs: number }>();
  private readonly orphanJobs = new Map<string, JobTimeline & { remediation: string }>();
  private slotsInUse = 0;
  maxSlotsInUse = 0;
  /** Storm guard as the operator publishes it on the default RemediationPolicy. */
  stormGuard: { active: boolean; sinceMs?: number; activations: number } = { active: false, activations: 0 };
  /**
   * Whether an attempt starting while the published storm guard is on counts as a violation. The published
   * status lags the operator's own view (it is refreshed periodically), so a harness enables this only while it
   * knows breakage exceeds maxUnhealthy.
   */
  checkStormGuard = true;
  /** Set by the harness: remediations holding a slot above this are violations. */
  maxConcurrent: number | undefined;
  private readonly listeners: ((change: TimelineChange) => void)[] = [];

  constructor(options: { maxConcurrent?: number } = {}) {
    this.maxConcurrent = options.maxConcurrent;
  }

  /** Called after every change that a view may show (a new remediation, a phase change, a cordon). */
  onChange(listener: (change: TimelineChange) => void): void {
    this.listeners.push(listener);
  }

  apply(resource: TimelineResource, type: TimelineEventType, object: unknown, atMs: number): void {
    const obj = object as RawObject;
    switch (resource) {
      case 'nodes':
        return this.applyNode(type, obj, atMs);
      case 'pods':
        return this.applyPod(type, obj, atMs);
      case 'jobs':
        return this.applyJob(type, obj, atMs);
      case 'noderemediations':
        return this.applyRemediation(type, obj, atMs);
      case 'remediationpolicies':
        return this.applyPolicy(type, obj, atMs);
    }
  }

  remediationsOf(node: string): RemediationTimeline[] {
    return [...this.remediations.values()].filter((r) => r.node === node);
  }

  private emit(change: TimelineChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private applyNode(type: TimelineEventType, node: RawObject, atMs: number): void {
    const name = node.metadata?.name;
    if (!name) return;
    if (type === 'DELETED') {
      this.nodes.delete(name);
      return;
    }
    const annotations = node.metadata?.annotations ?? {};
    const unschedulable = node.spec?.unschedulable === true;
    const cordonedBy = annotations[CORDON_MARKER_ANNOTATION];
    const before = this.nodes.get(name);
    const entry: NodeTimeline = before ?? {
      name,
      unschedulable,
      everMarked: false,
      everCordonedWhileWatched: false,
      npmReadyTimes: [],
    };
    entry.os = node.metadata?.labels?.['kubernetes.io/os'];
    entry.optOut = annotations[OPT_OUT_ANNOTATION];
    const cordonChanged = before !== undefined && before.unschedulable !== unschedulable;
    if (before && !before.unschedulable && unschedulable) entry.everCordonedWhileWatched = true;
    const markerChanged = before !== undefined && before.cordonedBy !== cordonedBy;
    entry.unschedulable = unschedulable;
    entry.cordonedBy = cordonedBy;
    if (cordonedBy) entry.everMarked = true;
    this.nodes.set(name, entry);
    if (cordonChanged || markerChanged) this.emit({ kind: 'cordon', node: name, atMs });
    const early = before ? undefined : this.podsBeforeNode.get(name);
    if (early) {
      this.podsBeforeNode.delete(name);
      this.applyPod('MODIFIED', early.pod, early.atMs);
    }
  }

  private applyPod(type: TimelineEventType, pod: RawObject, atMs: number): void {
    if (!isNpmLinuxPod(pod)) return;
    const uid = pod.metadata?.uid ?? '';
    const name = pod.metadata?.name ?? '';
    const nodeName = pod.spec?.nodeName as string | undefined;
    if (type === 'DELETED') {
      this.suspectSince.delete(uid);
      if (nodeName && this.podsBeforeNode.get(nodeName)?.pod.metadata?.uid === uid)
        this.podsBeforeNode.delete(nodeName);
      const node = nodeName ? this.nodes.get(nodeName) : undefined;
      if (node?.npmPod?.uid === uid) node.npmPod = undefined;
      return;
    }
    const ready = containerReady(pod);
    const suspect = classifyPod(pod as PodLike, SUSPECT_POLICY).kind === 'suspect';
    if (ready) this.suspectSince.delete(uid);
    else if (suspect && !this.suspectSince.has(uid)) this.suspectSince.set(uid, atMs);
    if (!nodeName) return;
    const node = this.nodes.get(nodeName);
    if (!node) {
      this.podsBeforeNode.set(nodeName, { pod, atMs });
      return;
    }
    const wasReady = node.npmPod?.uid === uid ? node.npmPod.ready : false;
    const wasSuspect = node.npmPod?.uid === uid ? node.npmPod.crashLooping : false;
    node.npmPod = { name, uid, ready, crashLooping: suspect };
    if (ready && !wasReady) {
      node.npmReadyTimes.push(atMs);
      this.emit({ kind: 'npm-ready', node: nodeName, atMs });
    } else if (suspect && !wasSuspect) {
      this.emit({ kind: 'npm-crash', node: nodeName, atMs });
    }
  }

  private applyJob(type: TimelineEventType, job: RawObject, atMs: number): void {
    const name = job.metadata?.name;
    const owner = job.metadata?.labels?.[LABEL_REMEDIATION];
    if (!name || !owner || type === 'DELETED') return;
    const remediation = this.remediations.get(owner);
    const list = remediation?.jobs;
    let entry = list?.find((j) => j.name === name) ?? this.orphanJobs.get(name);
    if (!entry) {
      entry = { name, createdMs: atMs };
      if (list) list.push(entry);
      else this.orphanJobs.set(name, { ...entry, remediation: owner });
    }
    const finished = jobFinished(job);
    if (finished.done && entry.finishedMs === undefined) {
      entry.finishedMs = atMs;
      entry.succeeded = finished.succeeded;
      this.emit({ kind: 'job', node: remediation?.node ?? '', remediation: owner, atMs });
    }
  }

  private applyRemediation(type: TimelineEventType, nr: RawObject, atMs: number): void {
    const name = nr.metadata?.name;
    if (!name) return;
    const spec = (nr.spec ?? {}) as { nodeName?: string; trigger?: { podUid?: string } };
    const status = (nr.status ?? {}) as {
      phase?: Phase;
      reason?: string;
      message?: string;
      wasUnschedulable?: boolean;
      cordonedByUs?: boolean;
      attempts?: unknown[];
      agent?: { outcome?: string; kubeletRestarted?: boolean };
    };
    let entry = this.remediations.get(name);
    const previousPhase = entry?.phase;
    if (!entry) {
      const podUid = spec.trigger?.podUid;
      entry = {
        name,
        node: spec.nodeName ?? '',
        podUid,
        createdMs: atMs,
        suspectMs: podUid ? this.suspectSince.get(podUid) : undefined,
        phase: status.phase ?? 'Pending',
        phases: [{ phase: status.phase ?? 'Pending', reason: status.reason, atMs }],
        attempts: 0,
        jobs: [],
        deleted: false,
      };
      this.remediations.set(name, entry);
      for (const [jobName, job] of this.orphanJobs) {
        if (job.remediation !== name) continue;
        entry.jobs.push({
          name: job.name,
          createdMs: job.createdMs,
          finishedMs: job.finishedMs,
          succeeded: job.succeeded,
        });
        this.orphanJobs.delete(jobName);
      }
    }
    if (type === 'DELETED') {
      entry.deleted = true;
      this.recountSlots(atMs, undefined);
      this.emit({ kind: 'remediation', node: entry.node, remediation: name, atMs });
      return;
    }
    const phase = status.phase ?? 'Pending';
    const phaseChanged = previousPhase !== undefined && previousPhase !== phase;
    const reasonChanged = entry.reason !== status.reason;
    entry.phase = phase;
    entry.reason = status.reason;
    entry.message = status.message;
    entry.wasUnschedulable = status.wasUnschedulable;
    entry.cordonedByUs = status.cordonedByUs;
    entry.attempts = status.attempts?.length ?? 0;
    if (status.agent?.outcome) entry.agentOutcome = status.agent.outcome;
    if (status.agent?.kubeletRestarted !== undefined) entry.kubeletRestarted = status.agent.kubeletRestarted;
    if (phaseChanged) {
      entry.phases.push({ phase, reason: status.reason, atMs });
      if (TERMINAL_PHASES.includes(phase) && entry.terminalMs === undefined) entry.terminalMs = atMs;
      const fromGate = previousPhase === 'Pending' || previousPhase === 'Waiting';
      if (phase === 'Cordoning' && fromGate && this.stormGuard.active && this.checkStormGuard) {
        this.violations.push({
          kind: 'stormGuard',
          atMs,
          detail: `${name} (node ${entry.node}) started an attempt while the storm guard was active`,
        });
      }
    } else if (previousPhase === undefined && TERMINAL_PHASES.includes(phase)) {
      entry.terminalMs = atMs;
    }
    this.recountSlots(atMs, name);
    if (phaseChanged || reasonChanged || previousPhase === undefined)
      this.emit({ kind: 'remediation', node: entry.node, remediation: name, atMs });
  }

  private recountSlots(atMs: number, changed: string | undefined): void {
    let inUse = 0;
    for (const r of this.remediations.values()) if (!r.deleted && SLOT_PHASES.includes(r.phase)) inUse++;
    const before = this.slotsInUse;
    this.slotsInUse = inUse;
    this.maxSlotsInUse = Math.max(this.maxSlotsInUse, inUse);
    if (this.maxConcurrent !== undefined && inUse > this.maxConcurrent && inUse > before) {
      this.violations.push({
        kind: 'maxConcurrent',
        atMs,
        detail: `${inUse} remediations held a slot (maxConcurrent ${this.maxConcurrent})${changed ? `, after ${changed} changed` : ''}`,
      });
    }
  }

  /** Remediations holding a maxConcurrent slot right now. */
  slots(): number {
    return this.slotsInUse;
  }

  private applyPolicy(type: TimelineEventType, policy: RawObject, atMs: number): void {
    if (policy.metadata?.name !== 'default') return;
    const storm = (policy.status?.stormGuard ?? undefined) as { active?: boolean } | undefined;
    const active = type !== 'DELETED' && storm?.active === true;
    if (active && !this.stormGuard.active) {
      this.stormGuard = { active: true, sinceMs: atMs, activations: this.stormGuard.activations + 1 };
      this.emit({ kind: 'storm', node: '', atMs });
    } else if (!active && this.stormGuard.active) {
      this.stormGuard = { active: false, activations: this.stormGuard.activations };
      this.emit({ kind: 'storm', node: '', atMs });
    }
  }
}

export interface TimelineChange {
  kind: 'remediation' | 'cordon' | 'job' | 'npm-ready' | 'npm-crash' | 'storm';
  node: string;
  remediation?: string;
  atMs: number;
}
