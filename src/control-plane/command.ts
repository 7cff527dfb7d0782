import { spawn, spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { EXIT_USAGE } from '../exit-codes.js';
import { startControlPlane } from './harness.js';
import { nonLoopbackInterfaces } from './isolation.js';

interface ControlPlaneFlags {
  dir?: string;
  keep: boolean;
  controllers: boolean;
}

const INSIDE_ENV = 'CHAINMEDIC_LOOPBACK_NETNS';

/** Re-runs this command inside a new loopback-only network namespace (root only), passing its exit status on. */
function reexecIsolated(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'chainmedic: control-plane needs root to make its own network namespace (unshare --net)\n',
    );
    return Promise.resolve(EXIT_USAGE);
  }
  const child = spawn('/usr/bin/unshare', ['--net', '--', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [INSIDE_ENV]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

async function run(flags: ControlPlaneFlags): Promise<void> {
  if (nonLoopbackInterfaces().length > 0) {
    process.exitCode = await reexecIsolated();
    return;
  }
  if (process.env[INSIDE_ENV]) spawnSync('/usr/sbin/ip', ['link', 'set', 'lo', 'up'], { stdio: 'inherit' });
  const cp = await startControlPlane({ dir: flags.dir, keep: flags.keep, controllers: flags.controllers });
  process.stdout.write(
    [
      `control plane ready in ${(cp.startMs / 1000).toFixed(1)} s: ${cp.server} (pid ${process.pid}'s network namespace)`,
      `  kubeconfig: ${cp.adminKubeconfig}`,
      `  try:        nsenter --net=/proc/${process.pid}/ns/net ${cp.kubectl} --kubeconfig ${cp.adminKubeconfig} get ns`,
      `  logs:       ${cp.dir}/*.log`,
      'Ctrl-C stops every process it started.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await cp.stop();
}

export function registerControlPlaneCommand(program: Command): void {
  program
    .command('control-plane')
    .description(
      'Run the real kube-apiserver, etcd, kube-controller-manager and kube-scheduler (make control-plane) on ' +
        'loopback, in a network namespace of their own, until Ctrl-C (workshop tool; root)',
    )
    .option('--dir <path>', 'data, kubeconfigs and logs here instead of a temporary folder')
    .option('--keep', 'keep the folder after stopping', false)
    .option('--no-controllers', 'start only etcd and kube-apiserver')
    .action((flags: ControlPlaneFlags) => run(flags));
}
