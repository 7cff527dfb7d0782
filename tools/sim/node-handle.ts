/**
 * What both control planes share about the simulated machines: building them (identities, hosts, the nodes broken
 * at start) and the handle's host-side methods over tools/sim/nodes/ `SimNodes` (break, latent break, reboot,
 * repair, stop a kubelet, fail the next agent, read iptables), which the admin routes serve too.
 */
import type { NodeAdmin } from './actors/admin-routes.js';
import type { SimClock } from './actors/clock.js';
import { SimHost, type BreakCause } from './actors/host.js';
import { NodeDirectory } from './actors/node-directory.js';
import { nodeIdentities } from './actors/node-factory.js';
import { simHostRunner } from './actors/node-runners.js';
import type { SimRandom } from './actors/random.js';
import { breakHost, chooseBroken } from './broken-nodes.js';
import type { SimNodes } from './nodes/sim-nodes.js';
import type { SimulatedCluster } from './simulated-cluster.js';

export interface MachineOptions {
  linuxNodes: number;
  windowsNodes?: number;
  broken?: number | Array<{ node: string; cause: BreakCause }>;
}

/** The machines, all running, their Linux hosts booted a while ago, some broken (chosen by the seed's random). */
export function buildMachines(options: MachineOptions, random: SimRandom, now: number): NodeDirectory {
  const directory = new NodeDirectory();
  const ids = nodeIdentities(options.linuxNodes, options.windowsNodes ?? 0, random);
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
  return directory;
}

export type HostMethods = Pick<
  SimulatedCluster,
  | 'nodeNames'
  | 'linuxNodeNames'
  | 'windowsNodeNames'
  | 'brokenNodes'
  | 'breakNode'
  | 'rebootNode'
  | 'bootId'
  | 'repairNpmImage'
  | 'setNodeReady'
  | 'iptables'
  | 'kubeletRestarts'
  | 'failNextJob'
  | 'failKubeletInits'
  | 'npmPodName'
  | 'runOnHost'
>;

/** The admin routes' view and the handle's host-side methods, over the simulated nodes. */
export function hostMethods(
  directory: NodeDirectory,
  sim: SimNodes,
  clock: SimClock,
): { admin: NodeAdmin; methods: HostMethods } {
  const linuxHost = (name: string): SimHost => {
    const host = directory.mustGet(name).host;
    if (!host) throw new Error(`node ${JSON.stringify(name)} is not a Linux node`);
    return host;
  };
  const latent = (name: string) =>
    directory.mustGet(name).host?.brokenCause === 'kubelet-init-race' &&
    sim.pods.npmPod(name)?.running === true;
  const admin: NodeAdmin = {
    nodes: directory,
    breakNode(name, cause, options = {}) {
      breakHost(linuxHost(name), cause, clock.wallNow(), options);
      // A latent break leaves azure-npm running; any other makes it start again at once (and crash-loop).
      if (!options.latent) sim.pods.restartNpm(name);
    },
    rebootNode(name, options = {}) {
      sim.reboot(name, options);
    },
    latent,
    bootId: (name) => sim.bootId(name),
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
  const machines = () => directory.all();
  const methods: HostMethods = {
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
        .map((m) => ({
          node: m.id.name,
          cause: m.host?.brokenCause as BreakCause,
          ...(latent(m.id.name) ? { latent: true as const } : {}),
        })),
    breakNode: admin.breakNode,
    rebootNode: admin.rebootNode,
    bootId: admin.bootId,
    repairNpmImage: admin.repairNpmImage,
    setNodeReady: admin.setNodeReady,
    iptables: (name) => linuxHost(name).iptables,
    kubeletRestarts: (name) => directory.mustGet(name).host?.kubeletRestarts ?? 0,
    failNextJob: admin.failNextJob,
    failKubeletInits: admin.failKubeletInits,
    npmPodName: admin.npmPodName,
    runOnHost: (name, argv) => simHostRunner(linuxHost(name), clock)(argv),
  };
  return { admin, methods };
}

/** Resolves once every node's azure-npm container has started at least once (crashed or not). */
export async function waitForNpmStarts(nodes: SimNodes, names: string[], timeoutMs: number): Promise<void> {
  const started = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const missing = names.filter((n) => !started.has(n));
      const shown =
        missing.slice(0, 10).join(', ') + (missing.length > 10 ? `, ... (${missing.length})` : '');
      reject(new Error(`sim: azure-npm never started on ${shown} within ${timeoutMs} ms`));
    }, timeoutMs);
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
