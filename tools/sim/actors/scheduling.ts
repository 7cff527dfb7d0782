import type { KubeObject } from '../api/types.js';

/**
 * The scheduler's filters that matter here, as pure functions: nodeSelector,
 * required node affinity (labels and metadata.name), taints and tolerations,
 * cordoned nodes (the implicit node.kubernetes.io/unschedulable taint).
 */

interface Taint {
  key: string;
  value?: string;
  effect: string;
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}

interface PodSpecView {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    };
  };
}

const specOf = (obj: KubeObject) => (obj.spec ?? {}) as Record<string, unknown>;

export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function matches(req: Requirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    default:
      return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every((r) => matches(r, labels[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && matches(r, node.metadata.name))
  );
}

/** Why a node cannot take the pod, or null when it can. */
export function unfitReason(pod: KubeObject, node: KubeObject): string | null {
  const spec = specOf(pod) as PodSpecView;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  }
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => termMatches(t, node)))
    return "node(s) didn't match Pod's node affinity/selector";
  const nodeSpec = specOf(node) as { unschedulable?: boolean; taints?: Taint[] };
  const tolerations = spec.tolerations ?? [];
  if (
    nodeSpec.unschedulable &&
    !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })
  ) {
    return 'node(s) were unschedulable';
  }
  for (const taint of nodeSpec.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerates(tolerations, taint))
      return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  return null;
}

/** The scheduler's message when no node fits: "0/3 nodes are available: 1 node(s) were unschedulable, ...". */
export function unschedulableMessage(reasons: readonly string[], total: number): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${n} ${r}`);
  return `0/${total} nodes are available: ${parts.join(', ')}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
}

/** The node names a pod's required affinity pins it to (metadata.name or kubernetes.io/hostname In [...]), if any. */
export function pinnedNodeNames(pod: KubeObject): string[] | null {
  const spec = specOf(pod) as PodSpecView;
  if (spec.nodeName) return [spec.nodeName];
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const names: string[] = [];
  for (const term of terms) {
    const pins = [
      ...(term.matchFields ?? []).filter((r) => r.key === 'metadata.name'),
      ...(term.matchExpressions ?? []).filter((r) => r.key === 'kubernetes.io/hostname'),
    ].filter((r) => r.operator === 'In');
    if (pins.length === 0) return null;
    for (const p of pins) names.push(...(p.values ?? []));
  }
  return names.length > 0 ? names : null;
}
