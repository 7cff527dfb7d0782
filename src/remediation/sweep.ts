import type { ObservedNode, ObservedRemediation } from './types.js';
import { phaseOf } from './history.js';

export interface CordonRelease {
  node: string;
  /** Uncordon only if the marker still has this value. */
  expectMarker: string;
}

/**
 * Whether the cordon our marker put on `node` should be released: the NodeRemediation it names is gone, or
 * finished (Succeeded/Skipped). A Failed one keeps its cordon: it only ends Failed with the marker still in
 * place when onFailure is KeepCordoned (otherwise it releases the cordon before becoming Failed).
 */
export function cordonToRelease(
  node: ObservedNode,
  remediations: readonly ObservedRemediation[],
): CordonRelease | null {
  const marker = node.cordonedBy;
  if (!marker) return null;
  const owner = remediations.find((r) => r.name === marker && r.spec.nodeName === node.name);
  if (owner) {
    const phase = phaseOf(owner);
    if (phase !== 'Succeeded' && phase !== 'Skipped') return null;
  }
  return { node: node.name, expectMarker: marker };
}

/** The start-up sweep: every node whose chainmedic cordon no longer has a live owner. */
export function sweepCordons(
  nodes: readonly ObservedNode[],
  remediations: readonly ObservedRemediation[],
): CordonRelease[] {
  return nodes.flatMap((node) => {
    const release = cordonToRelease(node, remediations);
    return release ? [release] : [];
  });
}
