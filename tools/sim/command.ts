import { InvalidArgumentError, type Command } from 'commander';
import { positiveNumber, wholeNumber } from '../cli-values.js';
import { EXIT_USAGE } from '../../src/exit-codes.js';
import { nonLoopbackInterfaces } from '../control-plane/isolation.js';
import { startSimCluster } from './cluster.js';
import { startRealSimCluster } from './real-cluster.js';
import { CONTROL_PLANES, type ControlPlaneKind, type SimulatedCluster } from './simulated-cluster.js';

export interface SimFlags {
  nodes: number;
  windows: number;
  broken: number;
  port: number;
  kubeconfig?: string;
  seed: number;
  timeScale: number;
  churn: number;
  controlPlane: ControlPlaneKind;
}

const MAX_NODES = 20_000;

function controlPlaneKind(value: string): ControlPlaneKind {
  if (!(CONTROL_PLANES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of: ${CONTROL_PLANES.join(', ')}.`);
  }
  return value as ControlPlaneKind;
}

function churnRate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100_000) {
    throw new InvalidArgumentError('expected updates per second from 0 to 100000.');
  }
  return n;
}

/** Checks that need more than one flag; returns a message or null. */
export function crossCheck(flags: SimFlags): string | null {
  if (flags.broken > flags.nodes) return `--broken (${flags.broken}) cannot exceed --nodes (${flags.nodes})`;
  if (flags.controlPlane === 'real') {
    // The real API server and the kubelet API pick their own free ports; node heartbeats are the kubelets' own.
    if (flags.port !== 0) return '--port applies to the memory control plane only';
    if (flags.churn !== 0) return '--churn applies to the memory control plane only';
  }
  return null;
}

/** Resolves on SIGINT or SIGTERM; the handlers stay until `dispose`, so a signal during the stop is not fatal. */
function waitForSignal(): { signal: Promise<NodeJS.Signals>; dispose: () => void } {
  let done: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => (done = resolve));
  process.on('SIGINT', done);
  process.on('SIGTERM', done);
  return {
    signal,
    dispose: () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
    },
  };
}

async function runSim(flags: SimFlags): Promise<void> {
  const problem = crossCheck(flags);
  if (problem) {
    process.stderr.write(`chainmedic: ${problem}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (flags.controlPlane === 'real' && nonLoopbackInterfaces().length > 0) {
    process.stderr.write(
      'chainmedic: --control-plane real must run in a loopback-only network namespace (the real API server dials ' +
        'node addresses on its own); run it under hack/loopback-netns.sh\n',
    );
    process.exitCode = EXIT_USAGE;
    return;
  }
  const { signal, dispose } = waitForSignal();
  const common = {
    linuxNodes: flags.nodes,
    windowsNodes: flags.windows,
    broken: flags.broken,
    seed: flags.seed,
    timeScale: flags.timeScale,
    kubeconfigPath: flags.kubeconfig,
  };
  const cluster: SimulatedCluster =
    flags.controlPlane === 'real'
      ? await startRealSimCluster(common)
      : await startSimCluster({ ...common, port: flags.port, churnPerSecond: flags.churn });
  for (const { node, cause } of cluster.brokenNodes())
    process.stderr.write(`sim: ${node} broken (${cause})\n`);
  process.stdout.write(
    `sim ready: server=${cluster.url} kubeconfig=${cluster.kubeconfigPath} admin=${cluster.adminUrl}\n`,
  );
  await signal;
  await cluster.stop();
  dispose();
  process.exitCode = 0;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'Run a simulated AKS cluster on 127.0.0.1: simulated kubelets and hosts on the in-memory or the real control plane',
    )
    .requiredOption('--nodes <n>', 'Linux nodes', wholeNumber(1, MAX_NODES))
    .option('--windows <n>', 'Windows nodes', wholeNumber(0, MAX_NODES), 0)
    .option(
      '--broken <n>',
      'Linux nodes broken by the kubelet iptables init race',
      wholeNumber(0, MAX_NODES),
      0,
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', wholeNumber(0, 65_535), 0)
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default: a new file in the OS temp dir)')
    .option('--seed <n>', 'seed for names and uids', wholeNumber(0, 2 ** 31 - 1), 1)
    .option(
      '--time-scale <x>',
      'simulated durations run this many times real time (0.01: 10 s back-off is 100 ms)',
      positiveNumber(1000),
      1,
    )
    .option('--churn <r>', 'node status updates per second across the cluster', churnRate, 0)
    .option(
      '--control-plane <kind>',
      'memory: the in-memory API server and actors; real: kube-apiserver, etcd and controllers from make control-plane (in hack/loopback-netns.sh)',
      controlPlaneKind,
      'memory',
    )
    .showHelpAfterError(false)
    .action((flags: SimFlags) => runSim(flags));
}
