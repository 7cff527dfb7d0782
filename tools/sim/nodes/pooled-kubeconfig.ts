/**
 * A KubeConfig whose requests share one connection pool. The client library builds a new undici Agent for every
 * request, so each request opens (and leaves in TIME_WAIT) a connection of its own: thousands of simulated kubelets
 * registering and renewing would run the machine out of local ports. Same server, same credentials: one Agent.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { SIM_KUBELET_USER_AGENT } from '../api/request-log.js';

type CreateDispatcher = (cluster: unknown, options: unknown) => unknown;

/** The kubelets' KubeConfig: one connection pool, and their User-Agent on every request. */
export function pooledKubeConfig(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context) => {
    await apply(context);
    context.setHeaderParam('User-Agent', SIM_KUBELET_USER_AGENT);
  };
  const target = kc as unknown as { createDispatcher: CreateDispatcher };
  const create = target.createDispatcher.bind(kc);
  let shared: unknown;
  target.createDispatcher = (cluster, options) => (shared ??= create(cluster, options));
  return kc;
}
