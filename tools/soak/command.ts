import type { Command } from 'commander';
import { controlPlaneKind, positiveNumber, wholeNumber } from '../cli-values.js';
import { runIsolated } from '../control-plane/isolated.js';
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSoak, runSoak } from './run-soak.js';

interface SoakFlags {
  minutes: number;
  seconds?: number;
  nodes: number;
  seed: number;
  timeScale: number;
  drainSeconds: number;
  out: string;
  controlPlane: ControlPlaneKind;
}

export function registerSoakCommand(program: Command): void {
  program
    .command('soak')
    .description(
      'Run the operator (2 replicas, leader election) for a bounded time under random breakage, API faults and kills; check the invariants',
    )
    .option('--minutes <m>', 'how long the chaos lasts', wholeNumber(1, 1440), 10)
    .option(
      '--seconds <s>',
      'how long the chaos lasts, in seconds (a CI smoke run); overrides --minutes',
      wholeNumber(5, 86_400),
    )
    .option('--nodes <n>', 'linux nodes', wholeNumber(10, 20_000), 1000)
    .option('--seed <n>', 'seed of the chaos and the cluster', wholeNumber(0, 2 ** 31 - 1), 1)
    .option(
      '--time-scale <x>',
      'simulated durations (back-offs, Job waits) run this many times real time',
      positiveNumber(10),
      0.05,
    )
    .option(
      '--drain-seconds <s>',
      'how long the fleet may take to settle after the chaos',
      wholeNumber(10, 3600),
      180,
    )
    .option('--out <dir>', 'where the operator logs go', join('results', 'soak'))
    .option(
      '--control-plane <kind>',
      'memory: the in-memory API server, with API faults; real: kube-apiserver, etcd and controllers from `make control-plane`, in a loopback-only network namespace of its own (root), API faults by a proxy in front of the replicas',
      controlPlaneKind,
      'memory',
    )
    .action(async (flags: SoakFlags) => {
      const soak = () => soakCommand(flags);
      await (flags.controlPlane === 'real' ? runIsolated(soak) : soak());
    });
}

async function soakCommand(flags: SoakFlags): Promise<void> {
  const result = await runSoak({
    controlPlane: flags.controlPlane,
    durationMs: (flags.seconds ?? flags.minutes * 60) * 1000,
    nodes: flags.nodes,
    seed: flags.seed,
    timeScale: flags.timeScale,
    drainTimeoutMs: flags.drainSeconds * 1000,
    resultsDir: flags.out,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${renderSoak(result).join('\n')}\n`);
  mkdirSync(flags.out, { recursive: true });
  writeFileSync(join(flags.out, 'latest.json'), JSON.stringify(result, null, 2));
  process.stdout.write(`results: ${join(flags.out, 'latest.json')}\n`);
  process.exitCode = result.exitCode;
}
