import { CHAINS_CONDITION_TYPE, CORDON_MARKER_ANNOTATION, OPT_OUT_ANNOTATION } from '../api/index.js';
import { clusterOperation } from './cluster-operations.js';
import type { ChainsCondition, ObservedNode } from './types.js';

interface NodeConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string | Date;
  lastTransitionTime?: string | Date;
}

/** The parts of a v1 Node that `decide` reads (a V1Node fits). */
export interface NodeLike {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string | Date;
  };
  spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
  status?: {
    conditions?: NodeConditionLike[];
    nodeInfo?: { bootID?: string };
  };
}

export const OS_LABEL = 'kubernetes.io/os';
/** AKS labels (and the well-known zone label) the storm explanation groups by. */
export const NODE_POOL_LABEL = 'kubernetes.azure.com/agentpool';
export const NODE_IMAGE_LABEL = 'kubernetes.azure.com/node-image-version';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

const isoOf = (t: string | Date | undefined): string | undefined =>
  t === undefined ? undefined : t instanceof Date ? t.toISOString() : t;

export function observeNode(node: NodeLike): ObservedNode {
  const annotations = node.metadata?.annotations ?? {};
  const conditions = node.status?.conditions ?? [];
  const chains = conditions.find((c) => c.type === CHAINS_CONDITION_TYPE);
  const deletionTimestamp = isoOf(node.metadata?.deletionTimestamp);
  return {
    name: node.metadata?.name ?? '',
    os: node.metadata?.labels?.[OS_LABEL],
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: node.spec?.unschedulable === true,
    optOut: annotations[OPT_OUT_ANNOTATION],
    cordonedBy: annotations[CORDON_MARKER_ANNOTATION],
    operation: clusterOperation({
      ...(deletionTimestamp ? { deletionTimestamp } : {}),
      taints: node.spec?.taints ?? [],
      labels: node.metadata?.labels ?? {},
      annotations,
    }),
    ...(node.status?.nodeInfo?.bootID ? { bootID: node.status.nodeInfo.bootID } : {}),
    ...(chains ? { chains: toChainsCondition(chains) } : {}),
  };
}

function toChainsCondition(c: NodeConditionLike): ChainsCondition {
  const status = c.status === 'True' || c.status === 'False' ? c.status : 'Unknown';
  return {
    status,
    reason: c.reason ?? '',
    message: c.message ?? '',
    lastHeartbeatTime: isoOf(c.lastHeartbeatTime) ?? '',
    lastTransitionTime: isoOf(c.lastTransitionTime) ?? '',
  };
}
