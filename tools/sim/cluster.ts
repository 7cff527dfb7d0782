import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { createSimStore, type SimStoreImpl } from './api/store.js';
import { startApiServer, type ApiServerHandle } from './api/server.js';
import { writeKubeconfig } from './api/kubeconfig.js';
import { NODES, SERVICE_ACCOUNTS } from './api/types.js';
import { setupServiceAccounts } from './setup-objects.js';
import { registerNodeAdminRoutes, type NodeAdmin } from './actors/admin-routes.js';
import { createClock } from './actors/clock.js';
import { EventRecorder } from './actors/event-recorder.js';
import { SimHost, type BreakCause } from './actors/host.js';
import { JobController } from './actors/job-controller.js';
import { KubeletActor } from './actors/kubelet-actor.js';
import { NodeDirectory } from './actors/node-directory.js';
import { buildNode, imageCatalog, nodeIdentities } from './actors/node-factory.js';
import { AzureNpmActor } from './actors/npm-actor.js';
import { createRandom } from './actors/random.js';
import { isoSeconds } from './actors/actor-store.js';
import { simHostRunner } from './actors/node-runners.js';
import type { SimulatedCluster } from './simulated-cluster.js';
import { breakHost, chooseBroken } from './broken-nodes.js';

export interface SimClusterOptions {
  linuxNodes: number;
  windowsNodes?: number;
  /** How many Linux nodes start broken by the kubelet init race, or exactly which nodes and why. */
  broken?: number | Array<{ node: string; cause: BreakCause }>;
  seed?: number;
  /** Simulated durations (back-off, Job deadlines, agent waits) run this many times real time. */
  timeScale?: number;
  host?: string;
  port?: number;
  /** Where to write the kubeconfig; default: a new file in the OS temp directory, removed by stop(). */
  kubeconfigPath?: string;
  /** Node status writes per real second across the cluster (kubelet heartbeats); 0 = none. */
  churnPerSecond?: number;
  /**
   * Namespaces that exist besides the built-in ones; default: chainmedic-system (the operator's) and
   * chainmedic-agent (its Jobs'), as if the manifests were applied.
   */
  namespaces?: string[];
}

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The in-memory control plane: its store and server are in this process, for the tests that need them. */
export interface SimCluster extends SimulatedCluster {
  controlPlane: 'memory';
  store: SimStoreImpl;
  server: ApiServerHandle;
}

export async function startSimCluster(options: SimClusterOptions): Promise<SimCluster> {
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const storeRandom = createRandom(seed ^ 0x5eed);
  const clock = createClock({ timeScale: options.timeScale ?? 1 });
  const namespaces = [
    ...new Set([
      ...BUILTIN_NAMESPACES,
      ...(options.namespaces ?? [DEFAULT_NAMESPACE, DEFAULT_AGENT_NAMESPACE]),
    ]),
  ];
  const store = createSimStore({ random: storeRandom.next, namespaces });
  for (const account of setupServiceAccounts(namespaces)) store.create(SERVICE_ACCOUNTS, account);
  const nodes = new NodeDirectory();
  const now = clock.wallNow();

  const ids = nodeIdentities(options.linuxNodes, options.windowsNodes ?? 0, random);
  const images = imageCatalog(random);
  const nowIso = isoSeconds(now);
  for (const id of ids) {
    const host =
      id.os === 'linux'
        ? new SimHost(id.name, {
            bootWallMs: now - 3_600_000 - random.int(20 * 86_400_000),
            pid: 1000 + random.int(5000),
          })
        : undefined;
    nodes.add({ id, host, ready: true });
    store.create(NODES, buildNode(id, { random, images, createdWallMs: now - 30 * 86_400_000, nowIso }));
  }

  const broken = chooseBroken(
    options.broken,
    ids.filter((i) => i.os === 'linux').map((i) => i.name),
    random,
  );
  for (const { node, cause } of broken) breakHost(nodes.mustGet(node).host as SimHost, cause, now);

  const events = new EventRecorder(store, random, () => clock.wallNow());
  const npm = new AzureNpmActor(store, clock, random, nodes, events);
  const kubelet = new KubeletActor(store, clock, nodes, options.churnPerSecond ?? 0);
  const jobs = new JobController(store, clock, random, nodes, events);
  npm.bootstrap();
  kubelet.start();
  jobs.start();

  const server = await startApiServer({
    store,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    seed,
  });
  let kubeconfigPath = options.kubeconfigPath;
  let tempDir: string | undefined;
  if (!kubeconfigPath) {
    tempDir = await mkdtemp(join(tmpdir(), 'chainmedic-sim-'));
    kubeconfigPath = join(tempDir, 'kubeconfig');
  }
  await writeKubeconfig(kubeconfigPath, server.url);

  const linuxHost = (name: string): SimHost => {
    const host = nodes.mustGet(name).host;
    if (!host) throw new Error(`node ${JSON.stringify(name)} is not a Linux node`);
    return host;
  };

  const admin: NodeAdmin = {
    nodes,
    breakNode(name, cause) {
      breakHost(linuxHost(name), cause, clock.wallNow());
      npm.restartContainerNow(name);
    },
    repairNpmImage(name) {
      linuxHost(name).repairNpmImage();
      npm.restartContainerNow(name);
    },
    setNodeReady: (name, ready) => kubelet.setReady(name, ready),
    failNextJob(name) {
      nodes.mustGet(name);
      jobs.failNextJob(name);
    },
    failKubeletInits(name, count) {
      linuxHost(name).failingInits = count;
    },
    npmPodName: (name) => npm.podName(name),
  };
  registerNodeAdminRoutes(server.admin, admin);

  let stopped = false;
  return {
    controlPlane: 'memory',
    url: server.url,
    adminUrl: server.url,
    kubeconfigPath,
    store,
    server,
    clock,
    nodeNames: () => nodes.names(),
    linuxNodeNames: () =>
      nodes
        .all()
        .filter((m) => m.id.os === 'linux')
        .map((m) => m.id.name),
    windowsNodeNames: () =>
      nodes
        .all()
        .filter((m) => m.id.os === 'windows')
        .map((m) => m.id.name),
    brokenNodes: () =>
      nodes
        .all()
        .filter((m) => m.host?.brokenCause)
        .map((m) => ({ node: m.id.name, cause: m.host?.brokenCause as BreakCause })),
    breakNode: admin.breakNode,
    repairNpmImage: admin.repairNpmImage,
    setNodeReady: admin.setNodeReady,
    iptables: (name) => linuxHost(name).iptables,
    kubeletRestarts: (name) => nodes.mustGet(name).host?.kubeletRestarts ?? 0,
    failNextJob: admin.failNextJob,
    failKubeletInits: admin.failKubeletInits,
    npmPodName: admin.npmPodName,
    runOnHost: (name, argv) => simHostRunner(linuxHost(name), clock)(argv),
    async stop() {
      if (stopped) return;
      stopped = true;
      clock.stop();
      jobs.stop();
      kubelet.stop();
      npm.stop();
      await server.close();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
