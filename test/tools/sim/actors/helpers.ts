import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { SimCluster } from '../../../../tools/sim/cluster.js';

export interface Clients {
  core: CoreV1Api;
  batch: BatchV1Api;
}

/** The real client library, configured from the kubeconfig the simulated cluster wrote. */
export function clientsFor(cluster: SimCluster): Clients {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return { core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api) };
}
