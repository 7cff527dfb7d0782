/**
 * Informer transforms: each keeps ONLY what the operator reads (a full 5,000-node cache is ~100 MB, trimmed
 * a few MB). Every transform keeps name, namespace, uid and resourceVersion. Each comes with the shape of what it
 * reads, so the informer parses only that (src/kube/pruned-json.ts): test/operator/trim-shapes.test.ts proves
 * every field a transform reads is in its shape.
 */
import type { NodeRemediation, RemediationPolicy } from '../api/index.js';
import type { Cached } from '../kube/informer.js';
import type { Shape } from '../kube/pruned-json.js';
import { CHAINS_CONDITION_TYPE } from '../api/index.js';
import {
  OPERATION_ANNOTATION_KEYS,
  OPERATION_LABEL_KEYS,
  OPERATION_TAINT_KEYS,
} from '../remediation/cluster-operations.js';
import { NODE_IMAGE_LABEL, NODE_POOL_LABEL, ZONE_LABEL } from '../remediation/observe-node.js';

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

const keys = (names: readonly string[]): Record<string, true> =>
  Object.fromEntries(names.map((name) => [name, true]));

const META_SHAPE = {
  name: true,
  namespace: true,
  uid: true,
  resourceVersion: true,
  creationTimestamp: true,
  deletionTimestamp: true,
} as const;

function pick(record: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) if (record?.[key] !== undefined) out[key] = record[key];
  return out;
}

// ---- Node ----

/** A Node condition kept whole (only the operator's own: kubelet's are reduced to Ready's status). */
export interface TrimmedCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface TrimmedNode extends Cached {
  metadata: Cached['metadata'] & {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
  status: {
    conditions: TrimmedCondition[];
    nodeInfo?: { bootID?: string; osImage?: string; kernelVersion?: string };
  };
}

/** What the gates, the audit and the storm explanation read. */
const NODE_LABELS = [
  'kubernetes.io/os',
  NODE_POOL_LABEL,
  NODE_IMAGE_LABEL,
  ZONE_LABEL,
  ...OPERATION_LABEL_KEYS,
];
const NODE_ANNOTATIONS = ['chainmedic.io/opt-out', 'chainmedic.io/cordoned-by', ...OPERATION_ANNOTATION_KEYS];

export const NODE_SHAPE: Shape = {
  metadata: { ...META_SHAPE, labels: keys(NODE_LABELS), annotations: keys(NODE_ANNOTATIONS) },
  spec: { unschedulable: true, taints: true },
  status: { conditions: true, nodeInfo: { bootID: true, osImage: true, kernelVersion: true } },
};

export function trimNode(raw: unknown): TrimmedNode {
  const m = meta(raw);
  const r = raw as {
    spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
    status?: {
      conditions?: TrimmedCondition[];
      nodeInfo?: { bootID?: string; osImage?: string; kernelVersion?: string };
    };
  };
  const conditions = (r.status?.conditions ?? []).flatMap((c): TrimmedCondition[] => {
    if (c.type === 'Ready') return [{ type: c.type, status: c.status }];
    if (c.type !== CHAINS_CONDITION_TYPE) return [];
    const { type, status, reason, message, lastHeartbeatTime, lastTransitionTime } = c;
    return [{ type, status, reason, message, lastHeartbeatTime, lastTransitionTime }];
  });
  const taints = (r.spec?.taints ?? [])
    .filter((t) => OPERATION_TAINT_KEYS.includes(t.key))
    .map((t) => ({ key: t.key, effect: t.effect, ...(t.value !== undefined ? { value: t.value } : {}) }));
  const info = r.status?.nodeInfo;
  return {
    metadata: {
      ...baseMeta(m),
      labels: pick(m.labels, NODE_LABELS),
      annotations: pick(m.annotations, NODE_ANNOTATIONS),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    spec: {
      ...(r.spec?.unschedulable ? { unschedulable: true } : {}),
      ...(taints.length > 0 ? { taints } : {}),
    },
    status: {
      conditions,
      ...(info
        ? { nodeInfo: { bootID: info.bootID, osImage: info.osImage, kernelVersion: info.kernelVersion } }
        : {}),
    },
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
  spec: { nodeName?: string; images?: Record<string, string> };
  status: { ready: boolean; containerStatuses: TrimmedContainerStatus[] };
}

export function podShape(keepLabels: readonly string[]): Shape {
  return {
    metadata: { ...META_SHAPE, labels: keys(keepLabels), ownerReferences: true },
    spec: { nodeName: true, containers: { name: true, image: true } },
    status: {
      conditions: { type: true, status: true },
      containerStatuses: { name: true, restartCount: true, ready: true, state: true },
    },
  };
}

/**
 * `keepLabels`: the labels the selectors need (the target DaemonSet's selector keys, or job-name); `images`:
 * keep each container's image (the target's, for the storm explanation). Its shape: `podShape(keepLabels)`.
 */
export function podTrimmer(
  keepLabels: readonly string[],
  keep: { images?: boolean } = {},
): (raw: unknown) => TrimmedPod {
  return (raw) => {
    const m = meta(raw);
    const r = raw as {
      spec?: { nodeName?: string; containers?: { name: string; image?: string }[] };
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
      spec: {
        ...(r.spec?.nodeName ? { nodeName: r.spec.nodeName } : {}),
        ...(keep.images
          ? { images: Object.fromEntries((r.spec?.containers ?? []).map((c) => [c.name, c.image ?? ''])) }
          : {}),
      },
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

export const DAEMON_SET_SHAPE: Shape = { metadata: META_SHAPE, spec: { selector: true } };

export function trimDaemonSet(raw: unknown): TrimmedDaemonSet {
  const r = raw as { spec?: { selector?: TrimmedDaemonSet['spec']['selector'] } };
  return { metadata: baseMeta(meta(raw)), spec: r.spec?.selector ? { selector: r.spec.selector } : {} };
}

// ---- Event (BackOff events of pods, kubelet's Starting events of nodes: which object, and when) ----

export interface TrimmedEvent extends Cached {
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string };
  /** RFC 3339: when it last happened (lastTimestamp, else eventTime, else firstTimestamp). */
  lastTimestamp?: string;
}

export const EVENT_SHAPE: Shape = {
  metadata: META_SHAPE,
  involvedObject: { kind: true, name: true, namespace: true, uid: true },
  lastTimestamp: true,
  eventTime: true,
  firstTimestamp: true,
};

export function trimEvent(raw: unknown): TrimmedEvent {
  const r = raw as {
    involvedObject?: TrimmedEvent['involvedObject'];
    lastTimestamp?: string;
    eventTime?: string;
    firstTimestamp?: string;
  };
  const o = r.involvedObject ?? {};
  const at = r.lastTimestamp ?? r.eventTime ?? r.firstTimestamp ?? meta(raw).creationTimestamp;
  return {
    metadata: baseMeta(meta(raw)),
    involvedObject: { kind: o.kind, name: o.name, namespace: o.namespace, uid: o.uid },
    ...(at ? { lastTimestamp: at } : {}),
  };
}

// ---- Job ----

export interface TrimmedJob extends Cached {
  metadata: Cached['metadata'] & {
    labels: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  nodeName?: string;
  /** The agent container's arguments (a dry-run Job runs `agent probe`). */
  args: string[];
  /** finishedAt: RFC 3339, when it completed or failed. */
  status: { complete: boolean; failed: boolean; finishedAt?: string };
}

export const JOB_SHAPE: Shape = {
  metadata: { ...META_SHAPE, labels: true },
  spec: { template: { spec: { nodeName: true, containers: { args: true } } } },
  status: { completionTime: true, conditions: { type: true, status: true, lastTransitionTime: true } },
};

export function trimJob(raw: unknown): TrimmedJob {
  const m = meta(raw);
  const r = raw as {
    spec?: { template?: { spec?: { nodeName?: string; containers?: { args?: string[] }[] } } };
    status?: {
      completionTime?: string;
      conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    };
  };
  const conds = r.status?.conditions ?? [];
  const ended = conds.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  const finishedAt = r.status?.completionTime ?? ended?.lastTransitionTime;
  return {
    metadata: {
      ...baseMeta(m),
      labels: m.labels ?? {},
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    ...(r.spec?.template?.spec?.nodeName ? { nodeName: r.spec.template.spec.nodeName } : {}),
    args: r.spec?.template?.spec?.containers?.[0]?.args ?? [],
    status: {
      complete: ended?.type === 'Complete',
      failed: ended?.type === 'Failed',
      ...(finishedAt ? { finishedAt } : {}),
    },
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
