/**
 * The bench's cluster on the in-memory control plane: the simulated cluster in a child process
 * (sim-process.ts) with node-status churn; requests from its request log (only the operator talks to it while it
 * is counted), the timeline stamped in its store as each write happens.
 */
import { startChild } from './child-process.js';
import type { BenchCluster } from './bench-cluster.js';
import { devDistPath } from './paths.js';
import { SimAdminClient, byVerbAndResource } from './sim-client.js';

export interface MemoryBenchClusterOptions {
  nodes: number;
  windows: number;
  churnPerSecond: number;
  seed: number;
  timeScale: number;
  logFile: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startMemoryBenchCluster(o: MemoryBenchClusterOptions): Promise<BenchCluster> {
  const argv = [
    process.execPath,
    devDistPath('bench', 'sim-process.js'),
    '--nodes',
    String(o.nodes),
    '--windows',
    String(o.windows),
    '--churn',
    String(o.churnPerSecond),
    '--seed',
    String(o.seed),
    '--time-scale',
    String(o.timeScale),
  ];
  const child = startChild(argv, { logFile: o.logFile, pipeStdout: true });
  let line: string;
  try {
    line = await child.waitForLine(/^sim ready:/, 300_000);
  } catch (err) {
    await child.stop(10_000);
    throw err;
  }
  const match = /server=(\S+) kubeconfig=(\S+)/.exec(line);
  if (!match) {
    await child.stop(10_000);
    throw new Error(`unexpected sim output: ${line}`);
  }
  const admin = new SimAdminClient(match[1]!);
  const kubeconfig = match[2]!;
  return {
    controlPlane: 'memory',
    adminKubeconfig: kubeconfig,
    operatorKubeconfig: kubeconfig,
    requestSource: "the simulated API server's request log (only the operator talks to it then)",
    timelineSource: "the simulated API server's store, as each write happens",
    activeWatches: (resource) => admin.activeWatches(resource),
    async takeRequests() {
      const counts = byVerbAndResource(await admin.requests());
      await admin.resetRequests();
      return counts;
    },
    timeline: () => admin.timeline(),
    breakNodes: (count) => admin.breakNodes(count),
    kubeletRestarts: async () => (await admin.restarts()).total,
    setMaxConcurrent: (value) => admin.setMaxConcurrent(value),
    async afterBaseline() {
      // The server notices closed watches a moment later; the operator's counts must not include them.
      const deadline = Date.now() + 30_000;
      while ((await admin.activeWatches()) !== 0) {
        if (Date.now() > deadline)
          throw new Error('timed out after 30 s waiting for the baseline watches to close');
        await sleep(50);
      }
      await admin.resetRequests();
    },
    health: () => Promise.resolve(null),
    async stop() {
      await child.stop(10_000);
    },
  };
}
