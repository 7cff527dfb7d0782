#!/usr/bin/env node
/**
 * The simulated cluster the benchmark measures against, in its own process: `chainmedic sim` plus the chainmedic
 * CRDs and the fleet timeline (store-side timestamps of every write) served under /sim/bench/. Measuring in
 * the simulator's store, not in an observer, makes detection latency exact to the millisecond: the pod status
 * write that showed the crash loop and the NodeRemediation's creation are both stamped where they happen.
 *
 *   node dist-dev/tools/bench/sim-process.js --nodes N --windows W --churn R --seed S --time-scale X
 *
 * Prints `sim ready: server=URL kubeconfig=PATH` on stdout; runs until SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { buildCrds } from '../../src/api/crd.js';
import { startSimCluster } from '../sim/cluster.js';
import { CRDS, type KubeObject } from '../sim/api/types.js';
import { registerBenchRoutes } from './sim-routes.js';
import { recordStore } from './store-recorder.js';
import { FleetTimeline } from './timeline.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string' },
    windows: { type: 'string', default: '0' },
    churn: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    'time-scale': { type: 'string', default: '1' },
  },
});

const cluster = await startSimCluster({
  linuxNodes: Number(values.nodes),
  windowsNodes: Number(values.windows),
  churnPerSecond: Number(values.churn),
  seed: Number(values.seed),
  timeScale: Number(values['time-scale']),
});
for (const crd of Object.values(buildCrds())) cluster.store.create(CRDS, crd as unknown as KubeObject);
const timeline = new FleetTimeline();
const stopRecorder = recordStore(cluster.store, timeline);
registerBenchRoutes(cluster, timeline);
process.stdout.write(`sim ready: server=${cluster.url} kubeconfig=${cluster.kubeconfigPath}\n`);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});
stopRecorder();
await cluster.stop();
