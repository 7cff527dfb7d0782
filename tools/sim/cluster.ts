/**
 * The simulated cluster on the in-memory control plane: the in-memory API server (tools/sim/api/) with the
 * controllers a real control plane runs (DaemonSet, Job with TTL, scheduler, node lifecycle; garbage collection
 * is the store's), and the simulated nodes' kubelets and hosts played by tools/sim/nodes/ `SimNodes` over HTTP,
 * exactly as on the real control plane (tools/sim/real-cluster.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { KubeRest } from '../../src/kube/rest.js';
import { createSimStore, type SimStoreImpl } from './api/store.js';
import { startApiServer, type ApiServerHandle } from './api/server.js';
import { writeKubeconfig } from './api/kubeconfig.js';
import { DAEMONSETS, LEASES, NODES, SERVICE_ACCOUNTS } from './api/types.js';
import { setupServiceAccounts } from './setup-objects.js';
import { registerNodeAdminRoutes } from './actors/admin-routes.js';
import { isoSeconds } from './actors/actor-store.js';
import { createClock } from './actors/clock.js';
import { DaemonSetController } from './actors/daemonset-controller.js';
import { EventRecorder } from './actors/event-recorder.js';
import type { BreakCause } from './actors/host.js';
import { JobController } from './actors/job-controller.js';
import { imageCatalog } from './actors/node-factory.js';
import { NodeLifecycleController } from './actors/node-lifecycle.js';
import { buildNpmDaemonSet } from './actors/npm-objects.js';
import { createRandom } from './actors/random.js';
import { Scheduler } from './actors/scheduler.js';
import { buildMachines, hostMethods, waitForNpmStarts } from './node-handle.js';
import { isTransient } from './nodes/pod-status-writer.js';
import { pooledKubeConfig } from './nodes/pooled-kubeconfig.js';
import { SimNodes } from './nodes/sim-nodes.js';
import type { SimulatedCluster } from './simulated-cluster.js';

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
  /** Node status posts per real second across the cluster (kubelet status updates); 0 = none. */
  churnPerSecond?: number;
  /**
   * Namespaces that exist besides the built-in ones; default: chainmedic-system (the operator's) and
   * chainmedic-agent (its Jobs'), as if the manifests were applied.
   */
  namespaces?: string[];
  /** Real milliseconds between the simulated kubelets' Lease renewals; default: see `leaseTimings`. */
  leaseRenewMs?: number;
  /** Real milliseconds a Lease may age before the node lifecycle controller marks its node Unknown. */
  nodeMonitorGraceMs?: number;
}

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** How long the start may wait for every node's azure-npm pod to be created and started. */
const NPM_START_TIMEOUT_MS = 120_000;

/** The simulated kubelets renew at most this many Leases per real second in all. */
const MAX_RENEWALS_PER_SECOND = 100;

/**
 * The memory plane's Lease timings (real milliseconds). kubelet renews every 10 s and kube-controller-manager waits
 * 40-50 s. Here a kubelet renews every 10 simulated seconds, but at least every second and never more often than
 * keeps the whole fleet at MAX_RENEWALS_PER_SECOND (5,500 nodes: every 55 s); the grace is four renewals but at
 * least 5 s, so that a loaded machine pausing this process never takes a running kubelet for a stopped one. A
 * stopped kubelet's node is Unknown within a grace and a monitor period (half a renewal, at most 10 s): 5-6 s for
 * a test-sized fleet at any time scale up to 0.125. At 5,500 nodes the kubelets' renewals cost about 15% of a core.
 */
export function leaseTimings(
  timeScale: number,
  nodes: number,
): { renewMs: number; graceMs: number; monitorMs: number } {
  const renewMs = Math.max(
    1_000,
    Math.round(10_000 * timeScale),
    Math.ceil((nodes * 1000) / MAX_RENEWALS_PER_SECOND),
  );
  const graceMs = Math.max(5_000, 4 * renewMs);
  return { renewMs, graceMs, monitorMs: Math.min(10_000, Math.max(250, Math.round(renewMs / 2))) };
}

/** The in-memory control plane: its store and server are in this process, for the tests that need them. */
export interface SimCluster extends SimulatedCluster {
  controlPlane: 'memory';
  store: SimStoreImpl;
  server: ApiServerHandle;
  /** The simulated nodes' kubelets (their container logs, their kubelet API). */
  kubelets: SimNodes;
}

export async function startSimCluster(options: SimClusterOptions): Promise<SimCluster> {
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const storeRandom = createRandom(seed ^ 0x5eed);
  const controllerRandom = createRandom(seed ^ 0xc0de);
  const timeScale = options.timeScale ?? 1;
  const clock = createClock({ timeScale });
  const namespaces = [
    ...new Set([
      ...BUILTIN_NAMESPACES,
      ...(options.namespaces ?? [DEFAULT_NAMESPACE, DEFAULT_AGENT_NAMESPACE]),
    ]),
  ];
  const store = createSimStore({ random: storeRandom.next, namespaces });
  for (const account of setupServiceAccounts(namespaces)) store.create(SERVICE_ACCOUNTS, account);
  const now = clock.wallNow();
  const directory = buildMachines(options, random, now);
  const images = imageCatalog(random);
  for (const os of ['linux', 'windows'] as const) {
    store.create(DAEMONSETS, buildNpmDaemonSet(os, '', isoSeconds(now - 86_400_000), 0));
  }

  const events = new EventRecorder(store, controllerRandom, () => clock.wallNow());
  const daemonSets = new DaemonSetController(store, clock, controllerRandom);
  const scheduler = new Scheduler(store, clock, events);
  const jobs = new JobController(store, clock, controllerRandom, events);
  const timings = leaseTimings(timeScale, directory.names().length);
  const lifecycle = new NodeLifecycleController(store, clock, {
    monitorPeriodMs: timings.monitorMs,
    gracePeriodMs: options.nodeMonitorGraceMs ?? timings.graceMs,
  });

  const server = await startApiServer({
    store,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    seed,
  });
  let kubeconfigPath = options.kubeconfigPath;
  let tempDir: string | undefined;
  let nodes: SimNodes | undefined;
  const stopAll = async () => {
    clock.stop();
    lifecycle.stop();
    jobs.stop();
    scheduler.stop();
    daemonSets.stop();
    await nodes?.stop();
    await server.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  try {
    if (!kubeconfigPath) {
      tempDir = await mkdtemp(join(tmpdir(), 'chainmedic-sim-'));
      kubeconfigPath = join(tempDir, 'kubeconfig');
    }
    await writeKubeconfig(kubeconfigPath, server.url);

    // The kubelets register their nodes; then the controllers place, bind and follow the pods.
    nodes = await SimNodes.start({
      rest: new KubeRest(pooledKubeConfig(kubeconfigPath)),
      clock,
      random,
      nodes: directory,
      images,
      leaseRenewMs: options.leaseRenewMs ?? timings.renewMs,
      statusPostsPerSecond: options.churnPerSecond ?? 0,
      // The cluster has been running for a while: its nodes registered before the simulation began.
      registered: {
        storeNode: (node) => store.create(NODES, node),
        storeLease: (lease) => void store.create(LEASES, lease),
      },
      // The first pods, placed as the cluster had them: running since before the simulation began.
      beforePods: (sim) => daemonSets.start((pod) => sim.statusBeforeStart(pod)),
      // An API server that stops answers them with network errors; they retry as kubelet does.
      onError: (what, err) => {
        if (!isTransient(err)) console.error(`sim nodes: ${what}:`, err);
      },
    });
    scheduler.start();
    jobs.start();
    lifecycle.start();
    await waitForNpmStarts(nodes, directory.names(), NPM_START_TIMEOUT_MS);
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
  const sim = nodes;
  const { admin, methods } = hostMethods(directory, sim, clock);
  registerNodeAdminRoutes(server.admin, admin);

  let stopped = false;
  return {
    controlPlane: 'memory',
    url: server.url,
    adminUrl: server.url,
    kubeconfigPath,
    store,
    server,
    kubelets: sim,
    clock,
    ...methods,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll();
    },
  };
}
