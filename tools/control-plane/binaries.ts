import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../bench/paths.js';

export const CONTROL_PLANE_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

/**
 * The folder holding the real binaries: CONTROL_PLANE_BIN (set by the Makefile), else KUBEBUILDER_ASSETS (the
 * envtest convention), else .tools/control-plane/bin where `make control-plane` builds them.
 */
export function controlPlaneBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.CONTROL_PLANE_BIN || env.KUBEBUILDER_ASSETS || join(projectRoot(), '.tools', 'control-plane', 'bin');
  return resolve(dir);
}

/** Absolute paths of the five binaries; throws naming what is missing and how to get it. */
export function controlPlaneBinaries(dir = controlPlaneBinDir()): Record<ControlPlaneBinary, string> {
  const missing: string[] = [];
  const paths = {} as Record<ControlPlaneBinary, string>;
  for (const name of CONTROL_PLANE_BINARIES) {
    paths[name] = join(dir, name);
    try {
      accessSync(paths[name], constants.X_OK);
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `control plane: ${missing.join(', ')} not found in ${dir}; run \`make control-plane\` first`,
    );
  }
  return paths;
}
