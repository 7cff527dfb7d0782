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
}
