/**
 * What the demo shows of a latent node beyond the fleet timeline: what triggered each NodeRemediation, the probe
 * Jobs, azure-npm's restart count and the KubeletIPTablesInitFailed Node condition. Pure: fed like the timeline
 * (resource, watch event type, object, wall time in ms), never reading a clock.
 */
import { CHAINS_CONDITION_TYPE, LABEL_NODE, LABEL_PROBE } from '../../src/api/index.js';
import { DEFAULT_POLICY_SPEC } from '../../src/config/policy.js';
import { FleetTimeline, type TimelineEventType, type TimelineResource } from '../bench/timeline.js';
import { seconds } from './view.js';

export interface TriggerSeen {
  source?: string;
  probeReason?: string;
  probeJob?: string;
}

export interface ProbeSeen {
  name: string;
  /** Why it was run (the chainmedic.io/probe label): KubeletStarted, Rebooted, Rolling, Storm. */
  reason: string;
  createdMs: number;
}

/** A change of the node's KubeletIPTablesInitFailed status. */
export interface ConditionSeen {
  status: string;
  reason?: string;
  atMs: number;
}

/** The node's azure-npm pod: its container's restart count and readiness. */
export interface NpmSeen {
  uid: string;
  restartCount: number;
  ready?: boolean;
}

/** The node's KubeletIPTablesInitFailed status changed (or was first seen). */
export interface LatentChange {
  kind: 'condition';
  node: string;
  atMs: number;
  status: string;
  reason?: string;
  /** The first status seen on the node. */
  first: boolean;
}

interface RawObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const TARGET = DEFAULT_POLICY_SPEC.target;

export class LatentWatch {
  /** By NodeRemediation name. */
  readonly triggers = new Map<string, TriggerSeen>();
  /** By node, in creation order. */
  readonly probes = new Map<string, ProbeSeen[]>();
  /** By node: every change of the condition's status (the first entry is its first sighting). */
  readonly conditions = new Map<string, ConditionSeen[]>();
  /** By node: its current azure-npm pod. */
  readonly npm = new Map<string, NpmSeen>();
  private readonly listeners: ((change: LatentChange) => void)[] = [];

  onChange(listener: (change: LatentChange) => void): void {
    this.listeners.push(listener);
  }

  apply(resource: TimelineResource, type: TimelineEventType, object: unknown, atMs: number): void {
    const obj = object as RawObject;
    const name = obj.metadata?.name;
    if (!name || type === 'DELETED') return;
    switch (resource) {
      case 'noderemediations': {
        const trigger = (obj.spec?.trigger ?? {}) as TriggerSeen;
        this.triggers.set(name, {
          source: trigger.source,
          probeReason: trigger.probeReason,
          probeJob: trigger.probeJob,
        });
        return;
      }
      case 'jobs': {
        const reason = obj.metadata?.labels?.[LABEL_PROBE];
        const node = obj.metadata?.labels?.[LABEL_NODE];
        if (!reason || !node) return;
        const list = this.probes.get(node) ?? [];
        if (!list.some((p) => p.name === name)) list.push({ name, reason, createdMs: atMs });
        this.probes.set(node, list);
        return;
      }
      case 'pods': {
        const owners = obj.metadata?.ownerReferences ?? [];
        const npm =
          obj.metadata?.namespace === TARGET.namespace &&
          owners.some((o) => o.kind === 'DaemonSet' && o.name === TARGET.daemonSet);
        const node = obj.spec?.nodeName as string | undefined;
        if (!npm || !node) return;
        const statuses = (obj.status?.containerStatuses ?? []) as {
          name: string;
          restartCount?: number;
          ready?: boolean;
        }[];
        const c = statuses.find((x) => x.name === TARGET.container);
        this.npm.set(node, {
          uid: obj.metadata?.uid ?? '',
          restartCount: c?.restartCount ?? 0,
          ready: c?.ready === true,
        });
        return;
      }
      case 'nodes': {
        const conditions = (obj.status?.conditions ?? []) as {
          type: string;
          status: string;
          reason?: string;
        }[];
        const c = conditions.find((x) => x.type === CHAINS_CONDITION_TYPE);
        if (!c) return;
        const seen = this.conditions.get(name) ?? [];
        if (seen.at(-1)?.status === c.status) return;
        seen.push({ status: c.status, reason: c.reason, atMs });
        this.conditions.set(name, seen);
        const change: LatentChange = {
          kind: 'condition',
          node: name,
          atMs,
          status: c.status,
          reason: c.reason,
          first: seen.length === 1,
        };
        for (const listener of this.listeners) listener(change);
        return;
      }
      default:
        return;
    }
  }

  /** The condition's status history, as `True -> False` (empty: never written). */
  conditionFlips(node: string): string {
    return (this.conditions.get(node) ?? []).map((c) => c.status).join(' -> ');
  }
}

/** The fleet timeline that also feeds a LatentWatch (recordApi feeds it like any timeline). */
export class DemoTimeline extends FleetTimeline {
  readonly latent = new LatentWatch();

  override apply(resource: TimelineResource, type: TimelineEventType, object: unknown, atMs: number): void {
    // The watch first: the timeline's listeners may ask it (what opened a remediation just created).
    this.latent.apply(resource, type, object, atMs);
    super.apply(resource, type, object, atMs);
  }
}

/**
 * A condition change as a line for logs: only a status worth telling (a first False says nothing new).
 * `npmRunning`: azure-npm on the node is Ready (chains missing under a running azure-npm: a latent node).
 */
export function describeConditionChange(
  change: LatentChange,
  startMs: number,
  npmRunning = false,
): string | null {
  if (change.first && change.status === 'False') return null;
  const at = `+${`${(Math.max(0, change.atMs - startMs) / 1000).toFixed(1)}s`.padStart(6)}`;
  const latent = change.status === 'True' && npmRunning ? 'azure-npm still Ready: latent' : '';
  const why = [change.reason, latent].filter((part) => part).join(', ');
  return `${at}  ${change.node}  ${CHAINS_CONDITION_TYPE}=${change.status}${why ? ` (${why})` : ''}`;
}

/**
 * What opened a remediation, for its creation line, when it was not a crash loop (the usual case goes without
 * saying): "by the audit, probe KubeletStarted".
 */
export function describeTrigger(watch: LatentWatch, remediation: string): string | undefined {
  const t = watch.triggers.get(remediation);
  if (!t?.source || t.source === 'CrashLoop') return undefined;
  if (t.source === 'Audit') return `by the audit, probe ${t.probeReason ?? ''}`.trimEnd();
  return t.source;
}

/** What the demo knows of a node the audit found latent, for the summary. */
export interface LatentStory {
  /** "found by the probe Job 3.2s after kubelet's start" (or its reason when not a kubelet start). */
  found: string;
  /** azure-npm: the same pod, the same restart count as when the node was broken. */
  npmNeverCrashed: boolean;
  npmRestartCount?: number;
  /** "True -> False" */
  condition: string;
}

/**
 * The story of a remediation the audit opened (null: another trigger). `brokenAtMs`: when the demo broke the node
 * (kubelet's start); `npmAtBreak`: its azure-npm pod then.
 */
export function latentStory(
  watch: LatentWatch,
  node: string,
  remediation: string,
  brokenAtMs: number | undefined,
  npmAtBreak: NpmSeen | undefined,
): LatentStory | null {
  const t = watch.triggers.get(remediation);
  if (t?.source !== 'Audit') return null;
  const probe = (watch.probes.get(node) ?? []).find((p) => p.name === t.probeJob);
  const found =
    probe && brokenAtMs !== undefined && t.probeReason === 'KubeletStarted'
      ? `found by the probe Job ${seconds(probe.createdMs - brokenAtMs)} after kubelet's start`
      : `found by the probe Job (${t.probeReason ?? 'audit'})`;
  const now = watch.npm.get(node);
  return {
    found,
    npmNeverCrashed:
      npmAtBreak !== undefined &&
      now !== undefined &&
      now.uid === npmAtBreak.uid &&
      now.restartCount === npmAtBreak.restartCount,
    npmRestartCount: now?.restartCount,
    condition: watch.conditionFlips(node),
  };
}
