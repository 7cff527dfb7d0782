import type { Command } from 'commander';
import { controlPlaneKind, positiveNumber } from '../cli-values.js';
import { runIsolated } from '../control-plane/isolated.js';
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import { DEMO_DEFAULTS, runDemo } from './run-demo.js';

interface DemoFlags {
  keep: boolean;
  timeScale: number;
  timeout: number;
  controlPlane: ControlPlaneKind;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the operator against a small simulated cluster with broken nodes and show what it does, live',
    )
    .option('--keep', 'leave the cluster and the operator running afterwards (until Ctrl-C)', false)
    .option(
      '--time-scale <x>',
      'simulated durations (back-offs, Job waits) run this many times real time',
      positiveNumber(10),
      DEMO_DEFAULTS.timeScale,
    )
    .option(
      '--timeout <seconds>',
      'fail when the fleet has not settled by then',
      positiveNumber(3600),
      DEMO_DEFAULTS.timeoutMs / 1000,
    )
    .option(
      '--control-plane <kind>',
      'memory: the in-memory API server (needs only Node); real: kube-apiserver, etcd and controllers from `make control-plane`, in a loopback-only network namespace of its own (root)',
      controlPlaneKind,
      DEMO_DEFAULTS.controlPlane,
    )
    .action(async (flags: DemoFlags) => {
      const demo = async () => {
        const result = await runDemo({
          out: process.stdout,
          keep: flags.keep,
          timeScale: flags.timeScale,
          timeoutMs: flags.timeout * 1000,
          controlPlane: flags.controlPlane,
        });
        process.exitCode = result.exitCode;
      };
      await (flags.controlPlane === 'real' ? runIsolated(demo) : demo());
    });
}
