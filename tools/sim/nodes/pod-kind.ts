/** What a pod bound to a simulated node runs, as far as the simulated kubelet cares. Pure. */
import { parseAgentInvocation } from '../actors/agent-invocation.js';
import type { NodeOs } from '../actors/node-factory.js';
import { NPM_CONTAINER } from '../actors/npm-objects.js';

export interface PodContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  terminationMessagePolicy?: string;
}

export interface PodSpecLike {
  nodeName?: string;
  restartPolicy?: string;
  containers: PodContainerSpec[];
}

/**
 * `azure-npm`: azure-npm's detection against the host at every start, crash-looping when it fails;
 * `azure-npm-win`: just runs; `agent`: `chainmedic agent ...` runs to completion in-process; `other`: runs Ready.
 */
export type PodKind = 'azure-npm' | 'azure-npm-win' | 'agent' | 'other';

export function podKind(spec: PodSpecLike, os: NodeOs): PodKind {
  const first = spec.containers[0];
  if (!first) return 'other';
  if (spec.containers.length === 1 && first.name === NPM_CONTAINER) {
    return os === 'linux' ? 'azure-npm' : 'azure-npm-win';
  }
  if (
    spec.containers.length === 1 &&
    parseAgentInvocation(first.command ?? [], first.args ?? []).kind !== 'other'
  ) {
    return 'agent';
  }
  return 'other';
}
