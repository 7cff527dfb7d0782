/**
 * Informer transforms: each keeps ONLY what the operator reads (a full 5,000-node cache is ~100 MB, trimmed
 * a few MB). Every transform keeps name, namespace, uid and resourceVersion.
 */
import type { NodeRemediation, RemediationPolicy } from '../api/index.js';
import type { Cached } from '../kube/informer.js';

type Raw = Record<string, unknown>;
type RawMeta = {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion?: string; kind: string; name: string; uid: string; controller?: boolean }[];
};

const meta = (raw: unknown): RawMeta => ((raw as Raw).metadata ?? { name: '' }) as RawMeta;

function baseMeta(m: RawMeta): Cached['metadata'] {
  return {
    name: m.name,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    ...(m.uid ? { uid: m.uid } : {}),
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
  };
}

function pick(record: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) if (record?.[key] !== undefined) out[key] = record[key];
  return out;
}

// ---- Node ----

export interface TrimmedNode extends Cached {
  metadata: Cached['metadata'] & { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { unschedulable?: boolean };
  status: { conditions: { type: string; status: string }[] };
}

const NODE_LABELS = ['kubernetes.io/os'];
const NODE_ANNOTATIONS = ['chainmedic.io/opt-out', 'chainmedic.io/cordoned-by'];

export function trimNode(raw: unknown): TrimmedNode {
  const m = meta(raw);
  const r = raw as {
    spec?: { unschedulable?: boolean };
    status?: { conditions?: { type: string; status: string }[] };
  };
  const ready = (r.status?.conditions ?? []).filter((c) => c.type === 'Ready');
  return {
    metadata: {
      ...baseMeta(m),
      labels: pick(m.labels, NODE_LABELS),
      annotations: pick(m.annotations, NODE_ANNOTATIONS),
    },
    spec: r.spec?.unschedulable ? { unschedulable: true } : {},
    status: { conditions: ready.map((c) => ({ type: c.type, status: c.status })) },
  };
}

// ---- Pod (the target DaemonSet's pods, and the agent Job's pods) ----

export interface TrimmedContainerStatus {
  name: string;
  restartCount?: number;
  ready?: boolean;
  state?: {
    waiting?: { reason?: string };
    running?: Record<string, never>;
    terminated?: { exitCode?: number; message?: string; reason?: string };
  };
}

export interface TrimmedPod extends Cached {
  metadata: Cached['metadata'] & {
    labels: Record<string, string>;
    ownerReferences: { kind: string; name: string; uid: string; controller?: boolean }[];
    deletionTimestamp?: string;
  };
  spec: { nodeName?: string };
  status: { ready: boolean; containerStatuses: TrimmedContainerStatus[] };
}

/** `keepLabels`: the labels the selectors need (the target DaemonSet's selector keys, or job-name). */
export function podTrimmer(keepLabels: readonly string[]): (raw: unknown) => TrimmedPod {
  return (raw) => {
    const m = meta(raw);
    const r = raw as {
      spec?: { nodeName?: string };
      status?: { conditions?: { type: string; status: string }[]; containerStatuses?: Raw[] };
    };
    const containerStatuses = (r.status?.containerStatuses ?? []).map((raw): TrimmedContainerStatus => {
      const c = raw as {
        name: string;
        restartCount?: number;
        ready?: boolean;
        state?: {
          waiting?: { reason?: string };
          running?: unknown;
          terminated?: { exitCode?: number; message?: string; reason?: string };
        };
      };
      const state: TrimmedContainerStatus['state'] = {};
      if (c.state?.waiting)
        state.waiting = { ...(c.state.waiting.reason ? { reason: c.state.waiting.reason } : {}) };
      if (c.state?.running) state.running = {};
      if (c.state?.terminated) {
        const t = c.state.terminated;
        state.terminated = {
          ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
          ...(t.reason ? { reason: t.reason } : {}),
          // The agent's result; bounded by the kubelet (4 KiB), cut again to be safe.
          ...(t.message ? { message: t.message.slice(0, 16_384) } : {}),
        };
      }
      return { name: c.name, restartCount: c.restartCount ?? 0, ready: c.ready === true, state };
    });
    return {
      metadata: {
        ...baseMeta(m),
        labels: pick(m.labels, keepLabels),
        ownerReferences: (m.ownerReferences ?? []).map((o) => ({
          kind: o.kind,
          name: o.name,
          uid: o.uid,
          ...(o.controller !== undefined ? { controller: o.controller } : {}),
        })),
        ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      },
      spec: r.spec?.nodeName ? { nodeName: r.spec.nodeName } : {},
      status: {
        ready: (r.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        containerStatuses,
      },
    };
  };
}

// ---- DaemonSet (the target: its uid and selector) ----

export interface TrimmedDaemonSet extends Cached {
  spec: {
    selector?: {
      matchLabels?: Record<string, string>;
      matchExpressions?: { key: string; operator: string; values?: string[] }[];
    };
  };
}

export function trimDaemonSet(raw: unknown): TrimmedDaemonSet {
  const r = raw as { spec?: { selector?: TrimmedDaemonSet['spec']['selector'] } };
  return { metadata: baseMeta(meta(raw)), spec: r.spec?.selector ? { selector: r.spec.selector } : {} };
}

// ---- Event (BackOff events: only which pod) ----

export interface TrimmedEvent extends Cached {
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string };
}

export function trimEvent(raw: unknown): TrimmedEvent {
  const r = raw as { involvedObject?: TrimmedEvent['involvedObject'] };
  const o = r.involvedObject ?? {};
  return {
    metadata: baseMeta(meta(raw)),
    involvedObject: { kind: o.kind, name: o.name, namespace: o.namespace, uid: o.uid },
  };
}

// ---- Job ----

export interface TrimmedJob extends Cached {
  metadata: Cached['metadata'] & { labels: Record<string, string> };
  nodeName?: string;
  /** The agent container's arguments (a dry-run Job runs `agent probe`). */
  args: string[];
  status: { complete: boolean; failed: boolean };
}

export function trimJob(raw: unknown): TrimmedJob {
  const m = meta(raw);
  const r = raw as {
    spec?: { template?: { spec?: { nodeName?: string; containers?: { args?: string[] }[] } } };
    status?: { conditions?: { type: string; status: string }[] };
  };
  const conds = r.status?.conditions ?? [];
  const is = (type: string) => conds.some((c) => c.type === type && c.status === 'True');
  return {
    metadata: { ...baseMeta(m), labels: m.labels ?? {} },
    ...(r.spec?.template?.spec?.nodeName ? { nodeName: r.spec.template.spec.nodeName } : {}),
    args: r.spec?.template?.spec?.containers?.[0]?.args ?? [],
    status: { complete: is('Complete'), failed: is('Failed') },
  };
}

// ---- chainmedic objects: kept whole (they are small), without managedFields ----

export type CachedRemediation = NodeRemediation & Cached;
export type CachedPolicy = RemediationPolicy & Cached;

function withoutManagedFields<T>(raw: unknown): T {
  const r = raw as Raw & { metadata?: Raw };
  const { managedFields: _drop, ...metadata } = r.metadata ?? {};
  return { ...r, metadata } as T;
}

export const trimRemediation = (raw: unknown): CachedRemediation => withoutManagedFields(raw);
export const trimPolicy = (raw: unknown): CachedPolicy => withoutManagedFields(raw);
