/**
 * Runs the naive baseline (baseline.ts) once against the bench's cluster: spawn, sync, the steady window, stop.
 * The bench runs it twice: with Node's defaults and with the operator's runtime flags (operator-runtime.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchCluster } from './bench-cluster.js';
import { startChild } from './child-process.js';
import { MEMORY_FILE_ENV, type MemoryReport } from './memory-reporter.js';
import { memorySeries, type MemoryPoint } from './memory-series.js';
import { devDistPath } from './paths.js';
import { readCpuSeconds, readProcMemory } from './proc-stats.js';
import { operatorRuntimeEnv } from './operator-runtime.js';
import type { BaselineFigures, BaselineRuns } from './report.js';
import { RssSampler } from './sampler.js';

export interface BaselineRunOptions {
  cluster: BenchCluster;
  outDir: string;
  /** Names its log and memory files (baseline-<name>.log). */
  name: string;
  /** Added to the environment; without NODE_OPTIONS the run has Node's defaults (an inherited one is dropped). */
  env: Record<string, string>;
  steadySeconds: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readMemoryFile(path: string): MemoryReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MemoryReport;
  } catch {
    return undefined;
  }
}

export async function measureBaseline(
  o: BaselineRunOptions,
): Promise<{ figures: BaselineFigures; memory: MemoryPoint[] }> {
  const memoryFile = join(o.outDir, `baseline-${o.name}-memory.json`);
  const argv = [
    process.execPath,
    '--import',
    devDistPath('bench', 'memory-reporter.js'),
    devDistPath('bench', 'baseline.js'),
    '--kubeconfig',
    o.cluster.adminKubeconfig,
  ];
  const { NODE_OPTIONS: _inherited, ...inherited } = process.env;
  const started = Date.now();
  const child = startChild(argv, {
    logFile: join(o.outDir, `baseline-${o.name}.log`),
    pipeStdout: true,
    env: { ...inherited, ...o.env, [MEMORY_FILE_ENV]: memoryFile },
  });
  // The file may still hold an earlier run's last report until this process writes its first.
  const heap = () => {
    const report = readMemoryFile(memoryFile);
    return report && report.atMs >= started ? report.heapUsedBytes : undefined;
  };
  const sampler = new RssSampler(child.pid, { heap });
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
      figures: {
        env: o.env,
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
      },
      memory: memorySeries(sampler.samples, started),
    };
  } finally {
    sampler.stop();
    await child.stop(5_000);
    await o.cluster.afterBaseline();
  }
}

/** The baseline with Node's defaults, then with the operator's runtime flags, one after the other. */
export async function measureBaselines(o: {
  cluster: BenchCluster;
  outDir: string;
  steadySeconds: number;
  log: (line: string) => void;
}): Promise<{ figures: BaselineRuns; memory: { defaults: MemoryPoint[]; operatorFlags: MemoryPoint[] } }> {
  const run = async (name: string, env: Record<string, string>, says: string) => {
    o.log(`naive baseline (stock makeInformer, full objects, un-paged lists), ${says}: syncing...`);
    const m = await measureBaseline({
      cluster: o.cluster,
      outDir: o.outDir,
      name,
      env,
      steadySeconds: o.steadySeconds,
    });
    const rss = m.figures.steadyRssBytes;
    o.log(
      `  synced in ${m.figures.syncMs} ms, steady RSS ${rss === null ? 'n/a' : Math.round(rss / 1048576)} MB`,
    );
    return m;
  };
  const defaults = await run('defaults', {}, "Node's defaults");
  const operatorFlags = await run('operator-flags', operatorRuntimeEnv(), "the operator's runtime flags");
  return {
    figures: { defaults: defaults.figures, operatorFlags: operatorFlags.figures },
    memory: { defaults: defaults.memory, operatorFlags: operatorFlags.memory },
  };
}
