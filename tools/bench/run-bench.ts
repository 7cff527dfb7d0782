/**
 * `chainmedic bench`: the simulated cluster, the naive baseline and the operator as separate processes over
 * real HTTP. Phases: the sim starts (with churn); the baseline syncs and idles, and is stopped; the operator
 * syncs and idles (steady state); a burst of nodes breaks and is healed. Memory and CPU come from /proc,
 * heap from a preloaded reporter, the operator's requests counted by the API server (the sim's request log, or
 * kube-apiserver's audit log on the real control plane), latencies from the fleet timeline.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
import type { ManagedChild } from './child-process.js';
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import { remediationFigures } from './figures.js';
import { burstTimeline } from './burst-timeline.js';
import { writeCharts } from './charts/write-charts.js';
import { measureBaselines } from './measure-baseline.js';
import { memorySeries, type MemoryTimeline, type PhaseSpan } from './memory-series.js';
import { startOperatorProcess } from './operator-process.js';
import { operatorRuntimeEnv } from './operator-runtime.js';
import { readCpuSeconds, readProcMemory } from './proc-stats.js';
import { allWatchesOpen } from './readiness.js';
import {
  evaluateTargets,
  type BaselineRuns,
  type BenchResult,
  type BenchScenario,
  type ProcessFigures,
} from './report.js';
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

    let baseline: BaselineRuns | null = null;
    let baselineMemory: MemoryTimeline['baseline'] = null;
    if (o.baseline) {
      const measured = await measureBaselines({
        cluster,
        outDir: o.outDir,
        steadySeconds: o.steadySeconds,
        log,
      });
      baseline = measured.figures;
      baselineMemory = measured.memory;
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
              NODE_OPTIONS: `${operatorRuntimeEnv().NODE_OPTIONS} --cpu-prof --cpu-prof-dir=${resolve(o.cpuProfileDir)}`,
            },
          }
        : {}),
    });
    operatorChild = operator.child;
    // The reporter's file may still hold an earlier run's last report until this process writes its first.
    const heap = () => {
      const report = operator.memory();
      return report && report.atMs >= operator.startedAtMs ? report.heapUsedBytes : undefined;
    };
    const sampler = new RssSampler(operator.child.pid, { heap });
    const since = (atMs: number) => atMs - operator.startedAtMs;
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
    const burstEndAt = Date.now();
    const burstRequests = await cluster.takeRequests();
    const cpuEnd = readCpuSeconds(operator.child.pid) ?? null;
    const peakRss = readProcMemory(operator.child.pid)?.hwmBytes ?? null;
    const endHeap = operator.memory();
    const kubeletRestarts = await cluster.kubeletRestarts();
    const health = await cluster.health();
    const steadyCpuPerSecond =
      cpuAfterSteady !== null && cpuAtSync !== null ? (cpuAfterSteady - cpuAtSync) / o.steadySeconds : null;
    const phases: PhaseSpan[] = [
      { phase: 'sync', fromMs: 0, toMs: syncMs },
      { phase: 'steady', fromMs: since(steadyFrom), toMs: since(steadyTo) },
      { phase: 'burst', fromMs: since(burst.atMs), toMs: since(burstEndAt) },
    ];
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
        onWindow: (fromMs, toMs) => phases.push({ phase: 'audit', fromMs: since(fromMs), toMs: since(toMs) }),
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
    const memory: MemoryTimeline = {
      operator: { points: memorySeries(sampler.samples, operator.startedAtMs), phases },
      baseline: baselineMemory,
    };
    const partial: Omit<BenchResult, 'targets'> = {
      schemaVersion: 2,
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
        timeline: burstTimeline(burstRemediations, burst.nodes, burst.atMs, burstEndAt),
      },
      memory,
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
    const stamp = startedAt.replace(/[:.]/g, '-');
    writeFileSync(join(o.outDir, `bench-${stamp}.json`), json);
    writeFileSync(join(o.outDir, 'latest.json'), json);
    writeCharts(o.outDir, stamp, { timeline: result.remediation.timeline, memory });
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
  /** The phase's measured window (wall ms), for the memory chart. */
  onWindow: (fromMs: number, toMs: number) => void;
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
  c.onWindow(from, to);
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
