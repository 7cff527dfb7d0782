import { InvalidArgumentError, type Command } from 'commander';
import { positiveNumber, wholeNumber } from '../cli-values.js';
import { EXIT_USAGE } from '../../src/exit-codes.js';
import { startSimCluster } from './cluster.js';

export interface SimFlags {
  nodes: number;
  windows: number;
  broken: number;
  port: number;
  kubeconfig?: string;
  seed: number;
  timeScale: number;
  churn: number;
}

const MAX_NODES = 20_000;

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
  return null;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

async function runSim(flags: SimFlags): Promise<void> {
  const problem = crossCheck(flags);
  if (problem) {
    process.stderr.write(`chainmedic: ${problem}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  const signal = waitForSignal();
  const cluster = await startSimCluster({
    linuxNodes: flags.nodes,
    windowsNodes: flags.windows,
    broken: flags.broken,
    seed: flags.seed,
    timeScale: flags.timeScale,
    port: flags.port,
    kubeconfigPath: flags.kubeconfig,
    churnPerSecond: flags.churn,
  });
  for (const { node, cause } of cluster.brokenNodes())
    process.stderr.write(`sim: ${node} broken (${cause})\n`);
  process.stdout.write(`sim ready: server=${cluster.url} kubeconfig=${cluster.kubeconfigPath}\n`);
  await signal;
  await cluster.stop();
  process.exitCode = 0;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('Run a simulated AKS cluster (API server, kubelets, azure-npm, Job controller) on 127.0.0.1')
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
    .showHelpAfterError(false)
    .action((flags: SimFlags) => runSim(flags));
}
