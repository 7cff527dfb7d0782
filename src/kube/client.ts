import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from './rest.js';

export interface KubeClient {
  /** Plain-JSON calls (what the operator uses). */
  rest: KubeRest;
}

/** In-cluster configuration when no kubeconfig path is given; otherwise that file's current context. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  return kc;
}

export function kubeClient(kubeconfigPath?: string): KubeClient {
  const kc = loadKubeConfig(kubeconfigPath);
  return { rest: new KubeRest(kc) };
}
