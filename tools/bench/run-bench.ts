/**
 * `chainmedic bench`: the simulated cluster, the naive baseline and the operator as separate processes over
 * real HTTP. Phases: the sim starts (with churn); the baseline syncs and idles, and is stopped; the operator
 * syncs and idles (steady state); a burst of nodes breaks and is healed. Memory and CPU come from /proc,
 * heap from a preloaded reporter, the operator's requests counted by the API server (the sim's request log, or
 * kube-apiserver's audit log on the real control plane), latencies from the fleet timeline.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPolicy } from './cluster-setup.js';
import { startChild, type ManagedChild } from './child-process.js';
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import { remediationFigures } from './figures.js';
import { MEMORY_FILE_ENV, type MemoryReport } from './memory-reporter.js';
import { startOperatorProcess } from './operator-process.js';
import { devDistPath } from './paths.js';
import { readCpuSeconds, readProcMemory } from './proc-stats.js';
import { allWatchesOpen } from './readiness.js';
import { evaluateTargets, type BenchResult, type BenchScenario, type ProcessFigures } from './report.js';
import { RssSampler } from './sampler.js';
import type { BenchCluster } from './bench-cluster.js';
import { startMemoryBenchCluster } from './memory-bench-cluster.js';
import { startRealBenchCluster } from './real-bench-cluster.js';
import type { TimelineReport } from './timeline-report.js';
import { KubeRest } from '../../src/kube/rest.js';
import { loadKubeConfig } from '../../src/kube/client.js';

export interface BenchOptions extends Omit<BenchScenario, 'controlPlane'> {
  /** memory (default): the in-memory simulated cluster; real: kube-apiserver and etcd (in a loopback netns). */
  controlPlane?: ControlPlaneKind;
  outDir: string;
  /** Skip the baseline (faster; no ratios). */
  baseline: boolean;
  log: (line: string) => void;
  /** Give up waiting for the burst to heal after this long. */
  healTimeoutMs: number;
}

const TERMINAL: readonly string[] = ['Succeeded', 'Skipped', 'Failed'];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readMemoryFile(path: string): MemoryReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MemoryReport;
  } catch {
    return undefined;
  }
}

async function startCluster(o: BenchOptions): Promise<BenchCluster> {
  if (o.controlPlane === 'real') {
    return startRealBenchCluster({
      nodes: o.nodes,
      windows: o.windows,
      seed: o.seed,
      timeScale: o.timeScale,
      outDir: o.outDir,
      log: o.log,
    });
  }
  return startMemoryBenchCluster({
    nodes: o.nodes,
    windows: o.windows,
    churnPerSecond: o.churnPerSecond,
    seed: o.seed,
    timeScale: o.timeScale,
    logFile: join(o.outDir, 'sim.log'),
  });
}

async function measureBaseline(
  o: BenchOptions,
  cluster: BenchCluster,
): Promise<NonNullable<BenchResult['baseline']>> {
  const memoryFile = join(o.outDir, 'baseline-memory.json');
  const argv = [
    process.execPath,
    '--import',
    devDistPath('bench', 'memory-reporter.js'),
    devDistPath('bench', 'baseline.js'),
    '--kubeconfig',
    cluster.adminKubeconfig,
  ];
  const started = Date.now();
  const child = startChild(argv, {
    logFile: join(o.outDir, 'baseline.log'),
    pipeStdout: true,
    env: { ...process.env, [MEMORY_FILE_ENV]: memoryFile },
  });
  const sampler = new RssSampler(child.pid);
  try {
    const line = await child.waitForLine(/"event":"synced"/, 300_000);
    const syncMs = Date.now() - started;
    const objects = (JSON.parse(line) as { objects: number }).objects;
    const cpuAtSync = readCpuSeconds(child.pid) ?? null;
    const steadyFrom = Date.now();
    await sleep(o.steadySeconds * 1000);
    const steadyTo = Date.now();
    const cpuEnd = readCpuSeconds(child.pid) ?? null;
    sampler.sample();
    const heap = readMemoryFile(memoryFile);
    return {
      syncMs,
      objects,
      steadyRssBytes: sampler.window(steadyFrom, steadyTo).medianBytes,
      peakRssBytes: readProcMemory(child.pid)?.hwmBytes ?? null,
      steadyHeapBytes: heap?.heapUsedBytes ?? null,
      peakHeapBytes: heap?.heapUsedMaxBytes ?? null,
      cpuSeconds: {
        total: cpuEnd,
        steady: cpuEnd !== null && cpuAtSync !== null ? cpuEnd - cpuAtSync : null,
      },
    };
  } finally {
    sampler.stop();
    await child.stop(5_000);
    await cluster.afterBaseline();
  }
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  mkdirSync(o.outDir, { recursive: true });
  const log = o.log;
  const startedAt = new Date().toISOString();
  log(
    o.controlPlane === 'real'
      ? `starting the real control plane and the simulated nodes (${o.nodes} linux + ${o.windows} windows nodes)...`
      : `starting the simulated cluster (${o.nodes} linux + ${o.windows} windows nodes, churn ${o.churnPerSecond}/s)...`,
  );
  const cluster = await startCluster(o);
  let operatorChild: ManagedChild | undefined;
  try {
    const rest = new KubeRest(loadKubeConfig(cluster.adminKubeconfig));
    await applyPolicy(rest, { maxConcurrent: o.maxConcurrent });
    await cluster.setMaxConcurrent(o.maxConcurrent);

    let baseline: BenchResult['baseline'] = null;
    if (o.baseline) {
      log('naive baseline (stock makeInformer, full objects, un-paged lists): syncing...');
      baseline = await measureBaseline(o, cluster);
      log(
        `  synced in ${baseline.syncMs} ms, steady RSS ${Math.round((baseline.steadyRssBytes ?? 0) / 1048576)} MB`,
      );
    }

    log('chainmedic operator: syncing...');
    await cluster.takeRequests();
    const memoryFile = join(o.outDir, 'operator-memory.json');
    const operator = await startOperatorProcess({
      kubeconfig: cluster.operatorKubeconfig,
      logFile: join(o.outDir, 'operator.log'),
      memoryFile,
    });
    operatorChild = operator.child;
    const sampler = new RssSampler(operator.child.pid);
    const syncMs = await operator.waitReady(300_000, () => allWatchesOpen((r) => cluster.activeWatches(r)));
    const cpuAtSync = readCpuSeconds(operator.child.pid) ?? null;
    const syncRequests = await cluster.takeRequests();
    log(`  synced in ${syncMs} ms; steady state for ${o.steadySeconds} s...`);

    const steadyFrom = Date.now();
    await sleep(o.steadySeconds * 1000);
    const steadyTo = Date.now();
    const cpuAfterSteady = readCpuSeconds(operator.child.pid) ?? null;
    sampler.sample();
    const steadyHeap = operator.memory();
    const steadyRequests = await cluster.takeRequests();

    log(`breaking ${o.broken} nodes at once...`);
    const burst = await cluster.breakNodes(o.broken);
    const burstNodes = new Set(burst.nodes);
    const finishedOf = (t: TimelineReport) =>
      t.remediations.filter((r) => burstNodes.has(r.node) && TERMINAL.includes(r.phase)).length;
    let report = await cluster.timeline();
    const healDeadline = Date.now() + o.healTimeoutMs;
    let lastShown = -1;
    while (finishedOf(report) < burstNodes.size && Date.now() < healDeadline) {
      if (!operator.child.running()) throw new Error('the operator exited during the burst');
      await sleep(500);
      report = await cluster.timeline();
      const finished = finishedOf(report);
      if (finished !== lastShown && finished % Math.max(1, Math.ceil(burstNodes.size / 5)) === 0) {
        log(`  ${finished}/${burstNodes.size} remediations finished`);
        lastShown = finished;
      }
    }
    const burstRequests = await cluster.takeRequests();
    const cpuEnd = readCpuSeconds(operator.child.pid) ?? null;
    const peakRss = readProcMemory(operator.child.pid)?.hwmBytes ?? null;
    const endHeap = operator.memory();
    sampler.stop();
    const kubeletRestarts = await cluster.kubeletRestarts();
    const health = await cluster.health();

    const burstRemediations = report.remediations.filter((r) => burstNodes.has(r.node));
    const operatorFigures: ProcessFigures = {
      syncMs,
      steadyRssBytes: sampler.window(steadyFrom, steadyTo).medianBytes,
      peakRssBytes: peakRss,
      steadyHeapBytes: steadyHeap?.heapUsedBytes ?? null,
      peakHeapBytes: endHeap?.heapUsedMaxBytes ?? null,
      cpuSeconds: {
        total: cpuEnd,
        steady: cpuAfterSteady !== null && cpuAtSync !== null ? cpuAfterSteady - cpuAtSync : null,
      },
    };
    const partial: Omit<BenchResult, 'targets'> = {
      schemaVersion: 1,
      startedAt,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      scenario: {
        nodes: o.nodes,
        windows: o.windows,
        broken: o.broken,
        churnPerSecond: o.churnPerSecond,
        controlPlane: o.controlPlane ?? 'memory',
        maxConcurrent: o.maxConcurrent,
        timeScale: o.timeScale,
        steadySeconds: o.steadySeconds,
        seed: o.seed,
      },
      operator: operatorFigures,
      baseline,
      remediation: {
        ...remediationFigures(burstRemediations, report.npmReady, burst.atMs),
        burstNodes: burstNodes.size,
      },
      requests: { sync: syncRequests, steady: steadyRequests, burst: burstRequests },
      requestSource: cluster.requestSource,
      timelineSource: cluster.timelineSource,
      cluster: health,
      kubeletRestarts,
      maxSlotsInUse: report.maxSlotsInUse,
    };
    const result: BenchResult = { ...partial, targets: evaluateTargets(partial) };
    const json = JSON.stringify(result, null, 2);
    writeFileSync(join(o.outDir, `bench-${startedAt.replace(/[:.]/g, '-')}.json`), json);
    writeFileSync(join(o.outDir, 'latest.json'), json);
    return result;
  } finally {
    await operatorChild?.stop(5_000);
    await cluster.stop();
  }
}
