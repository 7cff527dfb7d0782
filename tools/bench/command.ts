import { InvalidArgumentError, type Command } from 'commander';
import { EXIT_USAGE } from '../../src/exit-codes.js';
import { controlPlaneKind, positiveNumber, wholeNumber } from '../cli-values.js';
import { runIsolated } from '../control-plane/isolated.js';
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import { CHART_FILES } from './charts/write-charts.js';
import { renderBench } from './report.js';
import { runBench } from './run-bench.js';
import { durationMs } from './audit-phase.js';

/** A duration of at least 1m (the policy's minimum for audit.interval). */
function auditDuration(value: string): string {
  let ms: number;
  try {
    ms = durationMs(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (ms < 60_000) throw new InvalidArgumentError('at least 1m (the policy minimum)');
  return value;
}

interface BenchFlags {
  nodes: number;
  windows?: number;
  broken?: number;
  churn?: number;
  maxConcurrent: number;
  timeScale: number;
  steadySeconds?: number;
  seed: number;
  out: string;
  baseline: boolean;
  healTimeout: number;
  controlPlane: ControlPlaneKind;
  cpuProf?: string;
  auditSeconds?: number;
  auditInterval: string;
  auditMaxProbes: number;
}

/**
 * Defaults that scale with --nodes: windows 10%, a burst of 1% (at least 2), and one status update per node per
 * minute of churn (AKS nodes report status every few minutes when nothing changes: this is a harder load).
 */
export function benchDefaults(
  flags: Pick<BenchFlags, 'nodes' | 'windows' | 'broken' | 'churn' | 'steadySeconds' | 'auditSeconds'> & {
    controlPlane?: ControlPlaneKind;
  },
) {
  const windows = flags.windows ?? Math.round(flags.nodes / 10);
  // On the real control plane the node heartbeats are the simulated kubelets' own (Lease renewals, a status post
  // at each kubelet start): there is no churn to add.
  const churn = flags.controlPlane === 'real' ? 0 : Math.ceil((flags.nodes + windows) / 60);
  return {
    windows,
    broken: flags.broken ?? Math.max(2, Math.round(flags.nodes / 100)),
    churn: flags.churn ?? churn,
    steadySeconds: flags.steadySeconds ?? (flags.nodes >= 2000 ? 20 : 5),
    // The audit phase: on the memory plane only unless asked (on real, 250 nodes' probe Jobs run through the
    // simulated kubelets of one process and the real Job controller: that is not what it measures).
    auditSeconds: flags.auditSeconds ?? (flags.controlPlane === 'real' ? 0 : flags.nodes >= 2000 ? 120 : 30),
  };
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(
      'Benchmark the operator against a simulated cluster (separate processes, real HTTP) and a naive baseline',
    )
    .option('--nodes <n>', 'linux nodes (500 for a quick run)', wholeNumber(1, 20_000), 5000)
    .option('--windows <n>', 'windows nodes (default: 10% of --nodes)', wholeNumber(0, 20_000))
    .option(
      '--broken <n>',
      'nodes broken at once in the burst (default: 1% of --nodes, at least 2)',
      wholeNumber(1, 2000),
    )
    .option(
      '--churn <r>',
      'node status updates per second (default: one per node per minute)',
      wholeNumber(0, 100_000),
    )
    .option('--max-concurrent <n>', 'the policy maxConcurrent during the burst', wholeNumber(1, 1000), 5)
    .option(
      '--time-scale <x>',
      'simulated durations (back-offs, Job waits) run this many times real time',
      positiveNumber(10),
      1,
    )
    .option(
      '--steady-seconds <s>',
      'length of the steady-state window (default 20 at >= 2000 nodes, else 5)',
      wholeNumber(1, 3600),
    )
    .option('--seed <n>', 'seed of the simulated cluster', wholeNumber(0, 2 ** 31 - 1), 1)
    .option('--no-baseline', 'skip the naive baseline')
    .option(
      '--heal-timeout <s>',
      'give up waiting for the burst to heal after this long',
      wholeNumber(10, 86_400),
      900,
    )
    .option(
      '--audit-seconds <s>',
      'length of the audit phase after the burst, 0 for none (default 120 at >= 2000 nodes, else 30; 0 on real)',
      wholeNumber(0, 86_400),
    )
    .option(
      '--audit-interval <d>',
      'spec.audit.interval in the audit phase, standing for the default 24h (30m: x48)',
      auditDuration,
      '30m',
    )
    .option(
      '--audit-max-probes <n>',
      'spec.audit.maxConcurrentProbes in the audit phase (the scaled pace needs more than the default 3; above 10 the plan overshoots its pace)',
      wholeNumber(1, 100),
      10,
    )
    .option('--cpu-prof <dir>', "write the operator's V8 CPU profile (node --cpu-prof) into this folder")
    .option('--out <dir>', 'where the JSON results and logs go', 'results/bench')
    .option(
      '--control-plane <kind>',
      'memory: the in-memory simulated cluster; real: kube-apiserver, etcd and controllers from `make control-plane`, in a loopback-only network namespace of its own (root)',
      controlPlaneKind,
      'memory',
    )
    .action(async (flags: BenchFlags) => {
      if (flags.controlPlane === 'real' && flags.churn !== undefined) {
        process.stderr.write(
          "chainmedic: --churn applies to the memory control plane only (on real, the heartbeats are the simulated kubelets' own)\n",
        );
        process.exitCode = EXIT_USAGE;
        return;
      }
      const bench = () => runAndPrint(flags);
      await (flags.controlPlane === 'real' ? runIsolated(bench) : bench());
    });
}

async function runAndPrint(flags: BenchFlags): Promise<void> {
  const d = benchDefaults(flags);
  const result = await runBench({
    controlPlane: flags.controlPlane,
    nodes: flags.nodes,
    windows: d.windows,
    broken: Math.min(d.broken, flags.nodes),
    churnPerSecond: d.churn,
    maxConcurrent: flags.maxConcurrent,
    timeScale: flags.timeScale,
    steadySeconds: d.steadySeconds,
    seed: flags.seed,
    outDir: flags.out,
    baseline: flags.baseline,
    healTimeoutMs: flags.healTimeout * 1000,
    ...(flags.cpuProf ? { cpuProfileDir: flags.cpuProf } : {}),
    ...(d.auditSeconds > 0
      ? {
          audit: {
            seconds: d.auditSeconds,
            interval: flags.auditInterval,
            maxConcurrentProbes: flags.auditMaxProbes,
          },
        }
      : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${renderBench(result).join('\n')}\n`);
  process.stdout.write(
    `results: ${flags.out}/latest.json; charts: ${flags.out}/${CHART_FILES.timeline}, ${flags.out}/${CHART_FILES.memory}\n`,
  );
}
