import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { SimCluster } from '../../../src/sim/cluster.js';

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

/**
 * Polls until `probe` returns a value that is not undefined. The bound only keeps a
 * broken test from hanging; nothing asserts how long it took.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  boundMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + boundMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
