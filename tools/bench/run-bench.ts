/**
 * `chainmedic bench`: the simulated cluster, the naive baseline and the operator as separate processes over
 * real HTTP. Phases: the sim starts (with churn); the baseline syncs and idles, and is stopped; the operator
 * syncs and idles (steady state); a burst of nodes breaks and is healed. Memory and CPU come from /proc,
 * heap from a preloaded reporter, requests from the sim's request log, latencies from the sim's store.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPolicy } from './cluster-setup.js';
import { startChild, type ManagedChild } from './child-process.js';
import { remediationFigures } from './figures.js';
import { MEMORY_FILE_ENV, type MemoryReport } from './memory-reporter.js';
import { startOperatorProcess } from './operator-process.js';
import { devDistPath } from './paths.js';
import { readCpuSeconds, readProcMemory } from './proc-stats.js';
import { allWatchesOpen } from './readiness.js';
import { evaluateTargets, type BenchResult, type BenchScenario, type ProcessFigures } from './report.js';
import { RssSampler } from './sampler.js';
import { SimAdminClient, byVerbAndResource } from './sim-client.js';
import { KubeRest } from '../../src/kube/rest.js';
import { loadKubeConfig } from '../../src/kube/client.js';

export interface BenchOptions extends BenchScenario {
  outDir: string;
  /** Skip the baseline (faster; no ratios). */
  baseline: boolean;
  log: (line: string) => void;
  /** Give up waiting for the burst to heal after this long. */
  healTimeoutMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readMemoryFile(path: string): MemoryReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MemoryReport;
  } catch {
    return undefined;
  }
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

async function startSim(
  o: BenchOptions,
  logFile: string,
): Promise<{ child: ManagedChild; url: string; kubeconfig: string }> {
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
  const child = startChild(argv, { logFile, pipeStdout: true });
  const line = await child.waitForLine(/^sim ready:/, 300_000);
  const match = /server=(\S+) kubeconfig=(\S+)/.exec(line);
  if (!match) throw new Error(`unexpected sim output: ${line}`);
  return { child, url: match[1]!, kubeconfig: match[2]! };
}

async function measureBaseline(
  o: BenchOptions,
  kubeconfig: string,
  sim: SimAdminClient,
): Promise<NonNullable<BenchResult['baseline']>> {
  const memoryFile = join(o.outDir, 'baseline-memory.json');
  const argv = [
    process.execPath,
    '--import',
    devDistPath('bench', 'memory-reporter.js'),
    devDistPath('bench', 'baseline.js'),
    '--kubeconfig',
    kubeconfig,
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
    // The server notices closed watches a moment later; the operator's counts must not include them.
    await waitFor('the baseline watches to close', 30_000, async () => (await sim.activeWatches()) === 0);
  }
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  mkdirSync(o.outDir, { recursive: true });
  const log = o.log;
  const startedAt = new Date().toISOString();
  log(
    `starting the simulated cluster (${o.nodes} linux + ${o.windows} windows nodes, churn ${o.churnPerSecond}/s)...`,
  );
  const sim = await startSim(o, join(o.outDir, 'sim.log'));
  const admin = new SimAdminClient(sim.url);
  let operatorChild: ManagedChild | undefined;
  try {
    const rest = new KubeRest(loadKubeConfig(sim.kubeconfig));
    await applyPolicy(rest, { maxConcurrent: o.maxConcurrent });
    await admin.setMaxConcurrent(o.maxConcurrent);

    let baseline: BenchResult['baseline'] = null;
    if (o.baseline) {
      log('naive baseline (stock makeInformer, full objects, un-paged lists): syncing...');
      baseline = await measureBaseline(o, sim.kubeconfig, admin);
      log(
        `  synced in ${baseline.syncMs} ms, steady RSS ${Math.round((baseline.steadyRssBytes ?? 0) / 1048576)} MB`,
      );
    }

    log('chainmedic operator: syncing...');
    await admin.resetRequests();
    const memoryFile = join(o.outDir, 'operator-memory.json');
    const operator = await startOperatorProcess({
      kubeconfig: sim.kubeconfig,
      logFile: join(o.outDir, 'operator.log'),
      memoryFile,
    });
    operatorChild = operator.child;
    const sampler = new RssSampler(operator.child.pid);
    const syncMs = await operator.waitReady(300_000, () => allWatchesOpen((r) => admin.activeWatches(r)));
    const cpuAtSync = readCpuSeconds(operator.child.pid) ?? null;
    const syncRequests = byVerbAndResource(await admin.requests());
    await admin.resetRequests();
    log(`  synced in ${syncMs} ms; steady state for ${o.steadySeconds} s...`);

    const steadyFrom = Date.now();
    await sleep(o.steadySeconds * 1000);
    const steadyTo = Date.now();
    const cpuAfterSteady = readCpuSeconds(operator.child.pid) ?? null;
    sampler.sample();
    const steadyHeap = operator.memory();
    const steadyRequests = byVerbAndResource(await admin.requests());
    await admin.resetRequests();

    log(`breaking ${o.broken} nodes at once...`);
    const burst = await admin.breakNodes(o.broken);
    const burstNodes = new Set(burst.nodes);
    let report = await admin.timeline();
    const burstDone = () =>
      report.remediations.filter(
        (r) => burstNodes.has(r.node) && ['Succeeded', 'Skipped', 'Failed'].includes(r.phase),
      ).length >= burstNodes.size;
    const healDeadline = Date.now() + o.healTimeoutMs;
    let lastShown = -1;
    while (!burstDone() && Date.now() < healDeadline) {
      if (!operator.child.running()) throw new Error('the operator exited during the burst');
      await sleep(500);
      report = await admin.timeline();
      const finished = report.remediations.filter(
        (r) => burstNodes.has(r.node) && ['Succeeded', 'Skipped', 'Failed'].includes(r.phase),
      ).length;
      if (finished !== lastShown && finished % Math.max(1, Math.ceil(burstNodes.size / 5)) === 0) {
        log(`  ${finished}/${burstNodes.size} remediations finished`);
        lastShown = finished;
      }
    }
    const burstRequests = byVerbAndResource(await admin.requests());
    const cpuEnd = readCpuSeconds(operator.child.pid) ?? null;
    const peakRss = readProcMemory(operator.child.pid)?.hwmBytes ?? null;
    const endHeap = operator.memory();
    sampler.stop();
    const restarts = await admin.restarts();

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
      kubeletRestarts: restarts.total,
      maxSlotsInUse: report.maxSlotsInUse,
    };
    const result: BenchResult = { ...partial, targets: evaluateTargets(partial) };
    const json = JSON.stringify(result, null, 2);
    writeFileSync(join(o.outDir, `bench-${startedAt.replace(/[:.]/g, '-')}.json`), json);
    writeFileSync(join(o.outDir, 'latest.json'), json);
    return result;
  } finally {
    await operatorChild?.stop(5_000);
    await sim.child.stop(10_000);
  }
}
