import { CORDON_MARKER_ANNOTATION, OPT_OUT_ANNOTATION } from '../api/index.js';
import type { ObservedNode } from './types.js';

/** The parts of a v1 Node that `decide` reads (a V1Node fits). */
export interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string }[] };
}

export const OS_LABEL = 'kubernetes.io/os';

export function observeNode(node: NodeLike): ObservedNode {
  const annotations = node.metadata?.annotations ?? {};
  return {
    name: node.metadata?.name ?? '',
    os: node.metadata?.labels?.[OS_LABEL],
    ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: node.spec?.unschedulable === true,
    optOut: annotations[OPT_OUT_ANNOTATION],
    cordonedBy: annotations[CORDON_MARKER_ANNOTATION],
  };
}
