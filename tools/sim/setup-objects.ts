import { AGENT_SERVICE_ACCOUNT } from '../../src/api/meta.js';
import { DEFAULT_AGENT_NAMESPACE } from '../../src/config.js';
import type { KubeObject } from './api/types.js';
import { NPM_NAMESPACE } from './actors/npm-objects.js';

const serviceAccount = (name: string, namespace: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace },
});

/**
 * The ServiceAccounts a cluster has before the sim's nodes and the operator start, on either control plane: AKS's
 * azure-npm one, and, when the agent's namespace is among the sim's namespaces (as if the manifests were applied),
 * the agent's. A pod naming a missing ServiceAccount is refused, so without them no pod would start.
 */
export function setupServiceAccounts(namespaces: readonly string[]): KubeObject[] {
  return [
    serviceAccount('azure-npm', NPM_NAMESPACE),
    ...(namespaces.includes(DEFAULT_AGENT_NAMESPACE)
      ? [serviceAccount(AGENT_SERVICE_ACCOUNT, DEFAULT_AGENT_NAMESPACE)]
      : []),
  ];
}
