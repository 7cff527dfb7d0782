import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSimStore,
  startApiServer,
  writeKubeconfig,
  type ApiServerHandle,
} from '../../src/sim/api/index.js';
import type { SimStoreImpl } from '../../src/sim/api/store.js';
import { kubeClient, type KubeClient } from '../../src/kube/client.js';

export interface SimApi {
  server: ApiServerHandle;
  store: SimStoreImpl;
  client: KubeClient;
  kubeconfigPath: string;
  close(): Promise<void>;
}

/** A bare simulated API server (no actors) and a real client-node client talking to it over HTTP. */
export async function startSimApi(
  options: { bookmarkIntervalMs?: number; historySize?: number } = {},
): Promise<SimApi> {
  const store = createSimStore({
    namespaces: ['default', 'kube-system', 'chainmedic-system'],
    ...(options.historySize ? { historySize: options.historySize } : {}),
  });
  const server = await startApiServer({
    store,
    host: '127.0.0.1',
    port: 0,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 200,
  });
  const dir = await mkdtemp(join(tmpdir(), 'chainmedic-kube-test-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, server.url);
  return {
    server,
    store,
    client: kubeClient(kubeconfigPath),
    kubeconfigPath,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export { eventually } from '../helpers/eventually.js';

export function node(
  name: string,
  labels: Record<string, string> = {},
): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
} {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/os': 'linux', ...labels } },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
