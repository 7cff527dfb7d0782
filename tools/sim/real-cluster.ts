/**
 * The simulated cluster on the real control plane (tools/control-plane/harness.ts: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler): the simulated nodes' kubelets and hosts are played over the
 * Kubernetes REST API (tools/sim/nodes/), and the real controllers do everything else. It must run inside a
 * loopback-only network namespace (hack/loopback-netns.sh): every address the API server may dial is 127.0.0.1.
 */
import { copyFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { isAlreadyExists } from '../../src/kube/errors.js';
import { KubeRest } from '../../src/kube/rest.js';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../control-plane/harness.js';
import { isoSeconds } from './actors/actor-store.js';
import { registerNodeAdminRoutes, type NodeAdmin } from './actors/admin-routes.js';
import { createClock } from './actors/clock.js';
import { SimHost, type BreakCause } from './actors/host.js';
import { NodeDirectory } from './actors/node-directory.js';
import { imageCatalog, nodeIdentities } from './actors/node-factory.js';
import { simHostRunner } from './actors/node-runners.js';
import { NPM_NAMESPACE, buildNpmDaemonSet } from './actors/npm-objects.js';
import { createRandom } from './actors/random.js';
import { breakHost, chooseBroken } from './broken-nodes.js';
import type { SimClusterOptions } from './cluster.js';
import { startAdminServer } from './nodes/admin-server.js';
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
    const kc = new KubeConfig();
    kc.loadFromFile(cp.adminKubeconfig);
    const rest = new KubeRest(kc);
    await createObjects(rest, options.namespaces ?? [DEFAULT_NAMESPACE, DEFAULT_AGENT_NAMESPACE]);

    const directory = new NodeDirectory();
    const now = clock.wallNow();
    const ids = nodeIdentities(options.linuxNodes, options.windowsNodes ?? 0, random);
    const images = imageCatalog(random);
    for (const id of ids) {
      const host =
        id.os === 'linux'
          ? new SimHost(id.name, {
              bootWallMs: now - 3_600_000 - random.int(20 * 86_400_000),
              pid: 1000 + random.int(5000),
            })
          : undefined;
      directory.add({ id, host, ready: true });
    }
    const linuxNames = ids.filter((i) => i.os === 'linux').map((i) => i.name);
    for (const { node, cause } of chooseBroken(options.broken, linuxNames, random)) {
      breakHost(directory.mustGet(node).host as SimHost, cause, now);
    }

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
    await waitForNpmStarts(sim, directory.names());

    const linuxHost = (name: string): SimHost => {
      const host = directory.mustGet(name).host;
      if (!host) throw new Error(`node ${JSON.stringify(name)} is not a Linux node`);
      return host;
    };
    const nodeAdmin: NodeAdmin = {
      nodes: directory,
      breakNode(name, cause) {
        breakHost(linuxHost(name), cause, clock.wallNow());
        sim.pods.restartNpm(name);
      },
      repairNpmImage(name) {
        linuxHost(name).repairNpmImage();
        sim.pods.restartNpm(name);
      },
      setNodeReady(name, ready) {
        directory.mustGet(name);
        sim
          .setReady(name, ready)
          .catch((err: unknown) => console.error(`sim: set ${name} ready=${ready}:`, err));
      },
      failNextJob(name) {
        directory.mustGet(name);
        sim.pods.failNextJob(name);
      },
      failKubeletInits(name, count) {
        linuxHost(name).failingInits = count;
      },
      npmPodName: (name) => sim.pods.npmPod(name)?.name,
    };
    admin = await startAdminServer();
    registerNodeAdminRoutes(admin.routes, nodeAdmin);

    let kubeconfigPath = cp.adminKubeconfig;
    if (options.kubeconfigPath) {
      copyFileSync(cp.adminKubeconfig, options.kubeconfigPath);
      kubeconfigPath = options.kubeconfigPath;
    }
    const machines = () => directory.all();
    let stopped = false;
    return {
      controlPlane: 'real',
      cp,
      url: cp.server,
      kubeconfigPath,
      adminUrl: admin.url,
      clock,
      nodeNames: () => directory.names(),
      linuxNodeNames: () =>
        machines()
          .filter((m) => m.id.os === 'linux')
          .map((m) => m.id.name),
      windowsNodeNames: () =>
        machines()
          .filter((m) => m.id.os === 'windows')
          .map((m) => m.id.name),
      brokenNodes: () =>
        machines()
          .filter((m) => m.host?.brokenCause)
          .map((m) => ({ node: m.id.name, cause: m.host?.brokenCause as BreakCause })),
      breakNode: nodeAdmin.breakNode,
      repairNpmImage: nodeAdmin.repairNpmImage,
      setNodeReady: nodeAdmin.setNodeReady,
      iptables: (name) => linuxHost(name).iptables,
      kubeletRestarts: (name) => directory.mustGet(name).host?.kubeletRestarts ?? 0,
      failNextJob: nodeAdmin.failNextJob,
      failKubeletInits: nodeAdmin.failKubeletInits,
      npmPodName: nodeAdmin.npmPodName,
      runOnHost: (name, argv) => simHostRunner(linuxHost(name), clock)(argv),
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

async function waitForNpmStarts(nodes: SimNodes, names: string[]): Promise<void> {
  const started = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const missing = names.filter((n) => !started.has(n));
      reject(
        new Error(`sim: azure-npm never started on ${missing.join(', ')} within ${NPM_START_TIMEOUT_MS} ms`),
      );
    }, NPM_START_TIMEOUT_MS);
  });
  try {
    await Promise.race([
      Promise.all(names.map((n) => nodes.pods.whenNpmStarted(n).then(() => started.add(n)))),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
