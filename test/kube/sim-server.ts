import { kubeClient, type KubeClient } from '../../src/kube/client.js';
import type { ApiServerHandle } from '../../tools/sim/api/index.js';
import type { SimStoreImpl } from '../../tools/sim/api/store.js';
import { nodeObject, startHarness } from '../tools/sim/api/harness.js';

export interface SimApi {
  server: ApiServerHandle;
  store: SimStoreImpl;
  client: KubeClient;
  kubeconfigPath: string;
  close(): Promise<void>;
}

/** A bare simulated API server (no actors) and the project's client talking to it over HTTP. */
export async function startSimApi(
  options: { bookmarkIntervalMs?: number; historySize?: number } = {},
): Promise<SimApi> {
  const harness = await startHarness(
    {
      namespaces: ['default', 'kube-system', 'chainmedic-system'],
      ...(options.historySize ? { historySize: options.historySize } : {}),
    },
    { host: '127.0.0.1', port: 0, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 200 },
  );
  return {
    server: harness.server,
    store: harness.store,
    client: kubeClient(harness.kubeconfigPath),
    kubeconfigPath: harness.kubeconfigPath,
    close: harness.stop,
  };
}

export { nodeObject as node };
