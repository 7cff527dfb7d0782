/**
 * `chainmedic bench`: the simulated cluster, the naive baseline and the operator as separate processes over
 * real HTTP. Phases: the sim starts (with churn); the baseline syncs and idles, and is stopped; the operator
 * syncs and idles (steady state); a burst of nodes breaks and is healed. Memory and CPU come from /proc,
 * heap from a preloaded reporter, the operator's requests counted by the API server (the sim's request log, or
 * kube-apiserver's audit log on the real control plane), latencies from the fleet timeline.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OPERATOR_NODE_OPTIONS } from '../../src/operator/runtime.js';
import { applyPolicy } from './cluster-setup.js';
import {
  auditFigures,
  counterByLabel,
  counterTotal,
  diff,
  durationMs,
  type AuditFigures,
  type AuditPhaseOptions,
} from './audit-phase.js';
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
import { paths } from '../../src/kube/paths.js';
import { DEFAULT_POLICY_NAME, type RemediationPolicyStatus } from '../../src/api/index.js';
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
  /**
   * After the burst, the fleet audit on a time-scaled interval (audit-phase.ts); absent: no audit phase. The
   * phases before it (sync, steady, burst) run with the audit disabled (spec.audit.enabled false): they measure
   * the caches and the remediations, and probe Jobs in them would only blur those figures.
   */
  audit?: AuditPhaseOptions;
  /** Profile the operator's CPU (node --cpu-prof), the profile written into this folder when it exits. */
  cpuProfileDir?: string;
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
    await applyPolicy(rest, { maxConcurrent: o.maxConcurrent, audit: { enabled: false } });
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
      ...(o.cpuProfileDir
        ? {
            env: {
              NODE_OPTIONS: `${OPERATOR_NODE_OPTIONS} --cpu-prof --cpu-prof-dir=${resolve(o.cpuProfileDir)}`,
            },
          }
        : {}),
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
    const kubeletRestarts = await cluster.kubeletRestarts();
    const health = await cluster.health();
    const steadyCpuPerSecond =
      cpuAfterSteady !== null && cpuAtSync !== null ? (cpuAfterSteady - cpuAtSync) / o.steadySeconds : null;
    let audit: AuditFigures | null = null;
    if (o.audit && o.audit.seconds > 0) {
      audit = await measureAudit(o.audit, {
        rest,
        cluster,
        metricsPort: operator.metricsPort,
        pid: operator.child.pid,
        sampler,
        memory: () => operator.memory()?.heapUsedBytes ?? null,
        steadyCpuPerSecond,
        running: () => operator.child.running(),
        log,
      });
    }
    sampler.stop();

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
      auditDuringPhases: 'disabled (spec.audit.enabled false) in sync, steady and burst',
      audit,
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

/** kubelet's Starting Events of Nodes, as the operator selects them (src/operator/caches.ts). */
const KUBELET_STARTS_SELECTOR = 'involvedObject.kind=Node,reason=Starting,source=kubelet';
const NODE_EVENTS_NAMESPACE = 'default';

interface AuditContext {
  rest: KubeRest;
  cluster: BenchCluster;
  metricsPort: number;
  pid: number;
  sampler: RssSampler;
  memory: () => number | null;
  steadyCpuPerSecond: number | null;
  running: () => boolean;
  log: (line: string) => void;
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return response.text();
}

/**
 * The audit phase. kubelet's Starting Events make the audit probe a node 2 min after its kubelet started: the
 * burst's kubelet restarts left one each (and on the real plane every simulated kubelet posted one when the
 * cluster started), so as is the phase would begin with those post-start probes, not the rolling audit. In a
 * fleet that has run for more than an hour those Events have expired (the API server's event TTL, 1h), so the
 * phase deletes them first (one deletecollection, not counted: the requests are reset after it) and lets the
 * operator's informer see the deletes. Then it enables the audit with the scaled interval, and the Jobs' TTL
 * scaled alike (so the operator caches as many finished probe Jobs as at the real interval).
 */
async function measureAudit(a: AuditPhaseOptions, c: AuditContext): Promise<AuditFigures> {
  const ratio = durationMs(a.realInterval ?? '24h') / durationMs(a.interval);
  c.log(
    `audit phase: deleting kubelet's Starting Events (as their 1h TTL would), then the audit every ${a.interval} ` +
      `(x${ratio.toFixed(0)}), maxConcurrentProbes ${a.maxConcurrentProbes}, for ${a.seconds} s...`,
  );
  await c.rest.request('DELETE', paths.events(NODE_EVENTS_NAMESPACE), {
    query: { fieldSelector: KUBELET_STARTS_SELECTOR },
    timeoutMs: 120_000,
  });
  await sleep(5_000);
  const ttlSeconds = Math.max(1, Math.round(3600 / ratio));
  await applyPolicy(c.rest, {
    audit: { enabled: true, interval: a.interval, maxConcurrentProbes: a.maxConcurrentProbes },
    job: { ttlAfterFinished: `${ttlSeconds}s` },
  });
  await c.cluster.takeRequests();
  const before = await scrape(c.metricsPort);
  const cpuFrom = readCpuSeconds(c.pid) ?? null;
  const rssAtStartBytes = readProcMemory(c.pid)?.rssBytes ?? null;
  const from = Date.now();
  const deadline = from + a.seconds * 1000;
  let nextLog = from + 30_000;
  while (Date.now() < deadline) {
    if (!c.running()) throw new Error('the operator exited during the audit phase');
    await sleep(Math.min(1_000, Math.max(0, deadline - Date.now())));
    if (Date.now() >= nextLog) {
      const probes = counterByLabel(await scrape(c.metricsPort), 'chainmedic_probe_jobs_total', 'reason');
      c.log(
        `  ${Math.round((Date.now() - from) / 1000)} s: probe Jobs ${JSON.stringify(diff(probes, counterByLabel(before, 'chainmedic_probe_jobs_total', 'reason')))}`,
      );
      nextLog += 30_000;
    }
  }
  const requests = await c.cluster.takeRequests();
  const to = Date.now();
  const cpuTo = readCpuSeconds(c.pid) ?? null;
  c.sampler.sample();
  const after = await scrape(c.metricsPort);
  const heapUsedBytes = c.memory();
  const window = c.sampler.window(from, to);
  const policy = await c.rest.get<{ status?: RemediationPolicyStatus }>(paths.policy(DEFAULT_POLICY_NAME));
  const writesBefore = counterTotal(before, 'chainmedic_chains_condition_writes_total');
  const writesAfter = counterTotal(after, 'chainmedic_chains_condition_writes_total');
  // Off again: what follows (the end of the run) must not create Jobs.
  await applyPolicy(c.rest, { audit: { enabled: false } });
  const cpuSeconds = cpuTo !== null && cpuFrom !== null ? cpuTo - cpuFrom : null;
  return auditFigures({
    options: a,
    elapsedMs: to - from,
    requests,
    probesByReason: diff(
      counterByLabel(after, 'chainmedic_probe_jobs_total', 'reason'),
      counterByLabel(before, 'chainmedic_probe_jobs_total', 'reason'),
    ),
    conditionWrites: writesAfter === null ? null : writesAfter - (writesBefore ?? 0),
    eligibleNodes: policy.status?.audit?.eligibleNodes ?? null,
    probedWithinInterval: policy.status?.audit?.probedWithinInterval ?? null,
    operator: {
      cpuSeconds,
      cpuPerSecond: cpuSeconds !== null ? cpuSeconds / ((to - from) / 1000) : null,
      steadyCpuPerSecond: c.steadyCpuPerSecond,
      rssAtStartBytes,
      rssMedianBytes: window.medianBytes,
      rssMaxBytes: window.maxBytes,
      heapUsedBytes,
    },
  });
}
