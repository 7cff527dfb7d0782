import { isTerminal, type Phase } from '../../api/index.js';
import type { NodeLike } from '../../remediation/observe-node.js';

/**
 * What the webhook needs to know about the cluster. The operator backs it with its informer caches; tests
 * back it with the real client against the simulated cluster.
 */
export interface AdmissionLookups {
  /** The Node, or undefined when it does not exist. */
  getNode(name: string): Promise<NodeLike | undefined> | NodeLike | undefined;
  /** The name of a non-terminal NodeRemediation of `node`, or undefined when there is none. */
  activeRemediationFor(node: string): Promise<string | undefined> | string | undefined;
  /** Images a RemediationPolicy's spec.job.image may name (the operator's configuration); absent: none. */
  allowedAgentImages?: readonly string[];
}

/** The shape of a cached NodeRemediation the lookups need (the operator's trimmed cache entries fit). */
export interface RemediationLike {
  metadata: { name: string };
  spec: { nodeName: string };
  status?: { phase?: Phase };
}

/** Lookups over informer caches: no API calls on the admission path. */
export function cacheLookups(caches: {
  node(name: string): NodeLike | undefined;
  remediations(): readonly RemediationLike[];
}): AdmissionLookups {
  return {
    getNode: (name) => caches.node(name),
    activeRemediationFor: (node) =>
      caches.remediations().find((r) => r.spec.nodeName === node && !isTerminal(r.status?.phase))?.metadata
        .name,
  };
}
