/** Which simulated nodes start broken, and how a host is broken: shared by both control planes' clusters. */
import type { SimHost, BreakCause } from './actors/host.js';
import { UnknownNodeError } from './actors/node-directory.js';
import type { SimRandom } from './actors/random.js';

export type BrokenChoice = number | Array<{ node: string; cause: BreakCause }>;

export interface BreakOptions {
  /**
   * `kubelet-init-race` only: kubelet restarts on its own and loses the race, but azure-npm keeps running on what
   * it detected before (no restart, still Ready): broken and silent until azure-npm starts again. The node's
   * kubelet posts its status and a Starting Event. A break at cluster start cannot be latent (azure-npm starts
   * after it).
   */
  latent?: boolean;
}

/** Why a break's options do not fit its cause, or undefined when they do. */
export function breakOptionsError(cause: BreakCause, options: BreakOptions): string | undefined {
  if (options.latent && cause !== 'kubelet-init-race') {
    return `latent applies to cause "kubelet-init-race" only, not "${cause}": a latent break is a kubelet restart that lost the iptables race while azure-npm kept running`;
  }
  return undefined;
}

export function breakHost(
  host: SimHost,
  cause: BreakCause,
  wallMs: number,
  options: BreakOptions = {},
): void {
  const error = breakOptionsError(cause, options);
  if (error) throw new Error(error);
  if (cause === 'npm-image-bug') host.breakByNpmImageBug();
  else if (options.latent) host.breakLatent(wallMs);
  else host.breakByInitRace(wallMs);
}

/** The nodes to break: exactly the ones named, or `broken` Linux nodes picked by the seed (the init race). */
export function chooseBroken(
  broken: BrokenChoice | undefined,
  linux: string[],
  random: SimRandom,
): Array<{ node: string; cause: BreakCause }> {
  if (broken === undefined) return [];
  if (Array.isArray(broken)) {
    for (const b of broken) if (!linux.includes(b.node)) throw new UnknownNodeError(b.node);
    return broken;
  }
  if (!Number.isInteger(broken) || broken < 0 || broken > linux.length) {
    throw new Error(`broken must be an integer between 0 and ${linux.length}, got ${broken}`);
  }
  // A seeded partial shuffle: the same seed breaks the same nodes.
  const pool = [...linux];
  for (let i = 0; i < broken; i++) {
    const j = i + random.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
  }
  return pool.slice(0, broken).map((node) => ({ node, cause: 'kubelet-init-race' as const }));
}
