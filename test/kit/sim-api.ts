/** The test kit's bare simulated API server (no actors): `startHarness` (store, server, kubeconfig) and
 * `startSimApi` (the same with the project's client and the namespaces the operator uses). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createSimStore, type SimStoreImpl, type SimStoreOptions } from '../../tools/sim/api/store.js';
import { startApiServer, type ApiServerHandle, type ApiServerOptions } from '../../tools/sim/api/server.js';
import { writeKubeconfig } from '../../tools/sim/api/kubeconfig.js';
import { SERVICE_ACCOUNTS } from '../../tools/sim/api/types.js';
import { setupServiceAccounts } from '../../tools/sim/setup-objects.js';
import { ContainerLogs } from '../../tools/sim/nodes/container-logs.js';
import { startKubeletServer } from '../../tools/sim/nodes/kubelet-server.js';
import { kubeClient, type KubeClient } from '../../src/kube/client.js';
import { buildCrds } from '../../src/api/crd.js';
import { CRDS, type KubeObject } from '../../tools/sim/api/types.js';

export interface Harness {
  store: SimStoreImpl;
  server: ApiServerHandle;
  kubeconfigPath: string;
  kc: KubeConfig;
  stop(): Promise<void>;
}

/** A store + server on a free loopback port + a kubeconfig file the real client loads. */
export async function startHarness(
  storeOptions: SimStoreOptions = {},
  serverOptions: Omit<ApiServerOptions, 'store'> = {},
): Promise<Harness> {
  const store = createSimStore(storeOptions);
  const server = await startApiServer({ store, ...serverOptions });
  const dir = await mkdtemp(join(tmpdir(), 'sim-api-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, server.url);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    store,
    server,
    kubeconfigPath,
    kc,
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function nodeObject(
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
    metadata: { name, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': name, ...labels } },
    spec: {},
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: { kubeletVersion: 'v1.32.4' },
      addresses: [{ type: 'InternalIP', address: '10.224.0.4' }],
    },
  };
}

/** Runs a client call that must fail and returns the HTTP code and the decoded Status body. */
export async function apiFailure(
  call: () => Promise<unknown>,
): Promise<{ code: number; status: { reason?: string; code?: number; message?: string } }> {
  try {
    await call();
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    if (typeof e.code !== 'number') throw err;
    const status =
      typeof e.body === 'string'
        ? (JSON.parse(e.body) as Record<string, unknown>)
        : ((e.body ?? {}) as Record<string, unknown>);
    return { code: e.code, status };
  }
  throw new Error('expected the call to fail');
}

export interface SimApi {
  server: ApiServerHandle;
  store: SimStoreImpl;
  client: KubeClient;
  kubeconfigPath: string;
  close(): Promise<void>;
}

/** Creates chainmedic's CRDs (src/api/crd.ts) in a simulated store, as if the manifests were applied. */
export function installChainmedicCrds(store: SimStoreImpl): void {
  for (const crd of Object.values(buildCrds())) store.create(CRDS, crd as unknown as KubeObject);
}

export interface SimApiOptions {
  bookmarkIntervalMs?: number;
  historySize?: number;
  /** Namespaces besides default, kube-system and chainmedic-system. */
  namespaces?: string[];
  /** Install chainmedic's CRDs (NodeRemediation, RemediationPolicy). */
  crds?: boolean;
}

/** A bare simulated API server (no actors) and the project's client talking to it over HTTP. */
export async function startSimApi(options: SimApiOptions = {}): Promise<SimApi> {
  const namespaces = ['default', 'kube-system', 'chainmedic-system', ...(options.namespaces ?? [])];
  const harness = await startHarness(
    {
      namespaces,
      ...(options.historySize ? { historySize: options.historySize } : {}),
    },
    { host: '127.0.0.1', port: 0, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 200 },
  );
  // The ServiceAccounts a pod in these namespaces may name (the agent's), as the sim cluster has them.
  for (const account of setupServiceAccounts(namespaces)) harness.store.create(SERVICE_ACCOUNTS, account);
  if (options.crds) installChainmedicCrds(harness.store);
  return {
    server: harness.server,
    store: harness.store,
    client: kubeClient(harness.kubeconfigPath),
    kubeconfigPath: harness.kubeconfigPath,
    close: harness.stop,
  };
}

/**
 * A kubelet API for a node of a bare sim API server: the Node (created if missing) points at it (127.0.0.1 and the
 * server's port), and `logs` holds what its containers printed, which `pods/log` then reads through the API server.
 */
export async function startFakeKubelet(
  store: SimStoreImpl,
  ...nodeNames: string[]
): Promise<{ logs: ContainerLogs; close(): Promise<void> }> {
  const logs = new ContainerLogs();
  const server = await startKubeletServer(logs);
  const NODE_KEY = { group: '', resource: 'nodes' };
  for (const nodeName of nodeNames) {
    if (!store.get(NODE_KEY, undefined, nodeName)) store.create(NODE_KEY, nodeObject(nodeName));
    store.patch(
      NODE_KEY,
      undefined,
      nodeName,
      'merge',
      {
        status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: server.port } },
        },
      },
      { subresource: 'status' },
    );
  }
  return { logs, close: () => server.close() };
}
