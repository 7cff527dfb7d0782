import type { Command } from 'commander';
import { startControlPlane } from './harness.js';
import { runIsolated } from './isolated.js';

interface ControlPlaneFlags {
  dir?: string;
  keep: boolean;
  controllers: boolean;
}

async function run(flags: ControlPlaneFlags): Promise<void> {
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
    .action((flags: ControlPlaneFlags) => runIsolated(() => run(flags)));
}
