/**
 * The simulated cluster on the real control plane (tools/control-plane/harness.ts: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler): the simulated nodes' kubelets and hosts are played over the
 * Kubernetes REST API (tools/sim/nodes/), and the real controllers do everything else. It must run inside a
 * loopback-only network namespace (hack/loopback-netns.sh): every address the API server may dial is 127.0.0.1.
 */
import { copyFileSync } from 'node:fs';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { isAlreadyExists } from '../../src/kube/errors.js';
import { KubeRest } from '../../src/kube/rest.js';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../control-plane/harness.js';
import { isoSeconds } from './actors/actor-store.js';
import { createClock } from './actors/clock.js';
import { imageCatalog } from './actors/node-factory.js';
import { registerNodeAdminRoutes } from './actors/admin-routes.js';
import { buildMachines, hostMethods, waitForNpmStarts } from './node-handle.js';
import { NPM_NAMESPACE, buildNpmDaemonSet } from './actors/npm-objects.js';
import { createRandom } from './actors/random.js';
import type { SimClusterOptions } from './cluster.js';
import { startAdminServer } from './nodes/admin-server.js';
import { pooledKubeConfig } from './nodes/pooled-kubeconfig.js';
import { SimNodes } from './nodes/sim-nodes.js';
import { setupServiceAccounts } from './setup-objects.js';
import type { SimulatedCluster } from './simulated-cluster.js';

export type RealSimClusterOptions = Omit<SimClusterOptions, 'host' | 'port' | 'churnPerSecond'> & {
  controlPlane?: ControlPlaneOptions;
};

/** The real control plane: its processes, logs and kubectl, for the tests that need them. */
export interface RealSimCluster extends SimulatedCluster {
  controlPlane: 'real';
  cp: ControlPlane;
}

/**
 * The node lifecycle controller checks every second and marks a node whose Lease and status are older than 8 s
 * Unknown (defaults 5 s and 50 s); the simulated kubelets renew every second.
 */
const NODE_MONITOR_ARGS = ['--node-monitor-period=1s', '--node-monitor-grace-period=8s'];
const LEASE_RENEW_MS = 1_000;
/** How long the start may wait for every node's azure-npm pod to be created, bound and started. */
const NPM_START_TIMEOUT_MS = 120_000;

export async function startRealSimCluster(options: RealSimClusterOptions): Promise<RealSimCluster> {
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const clock = createClock({ timeScale: options.timeScale ?? 1 });
  const cp = await startControlPlane({
    ...options.controlPlane,
    controllerManagerArgs: [...NODE_MONITOR_ARGS, ...(options.controlPlane?.controllerManagerArgs ?? [])],
  });
  let nodes: SimNodes | undefined;
  let admin: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  const stop = async () => {
    clock.stop();
    await nodes?.stop();
    await admin?.close();
    await cp.stop();
  };
  try {
    const rest = new KubeRest(pooledKubeConfig(cp.adminKubeconfig));
    await createObjects(rest, options.namespaces ?? [DEFAULT_NAMESPACE, DEFAULT_AGENT_NAMESPACE]);

    const now = clock.wallNow();
    const directory = buildMachines(options, random, now);
    const images = imageCatalog(random);

    nodes = await SimNodes.start({
      rest,
      clock,
      random,
      nodes: directory,
      images,
      leaseRenewMs: LEASE_RENEW_MS,
    });
    const sim = nodes;
    // The real DaemonSet controller creates one pod per matching node; the scheduler binds them.
    for (const os of ['linux', 'windows'] as const) {
      const ds = buildNpmDaemonSet(os, '', isoSeconds(now), 0);
      delete ds.metadata.uid;
      delete ds.metadata.creationTimestamp;
      delete ds.metadata.generation;
      delete ds.status;
      await rest.create(`/apis/apps/v1/namespaces/${NPM_NAMESPACE}/daemonsets`, ds);
    }
    await waitForNpmStarts(sim, directory.names(), NPM_START_TIMEOUT_MS);

    const { admin: nodeAdmin, methods } = hostMethods(directory, sim, clock);
    admin = await startAdminServer();
    registerNodeAdminRoutes(admin.routes, nodeAdmin);

    let kubeconfigPath = cp.adminKubeconfig;
    if (options.kubeconfigPath) {
      copyFileSync(cp.adminKubeconfig, options.kubeconfigPath);
      kubeconfigPath = options.kubeconfigPath;
    }
    let stopped = false;
    return {
      controlPlane: 'real',
      cp,
      url: cp.server,
      kubeconfigPath,
      adminUrl: admin.url,
      clock,
      ...methods,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stop();
      },
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * What the manifests and AKS would have created: the namespaces and the ServiceAccounts the memory sim has too
 * (tools/sim/setup-objects.ts). A pod naming a missing ServiceAccount is refused at admission.
 */
async function createObjects(rest: KubeRest, namespaces: string[]): Promise<void> {
  const create = async (path: string, body: unknown) => {
    try {
      await rest.create(path, body);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  };
  for (const name of new Set(namespaces)) {
    await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  for (const account of setupServiceAccounts(namespaces)) {
    await create(`/api/v1/namespaces/${account.metadata.namespace}/serviceaccounts`, account);
  }
}
