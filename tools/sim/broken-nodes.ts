/** Which simulated nodes start broken, and how a host is broken: shared by both control planes' clusters. */
import type { SimHost, BreakCause } from './actors/host.js';
import { UnknownNodeError } from './actors/node-directory.js';
import type { SimRandom } from './actors/random.js';

export type BrokenChoice = number | Array<{ node: string; cause: BreakCause }>;

export function breakHost(host: SimHost, cause: BreakCause, wallMs: number): void {
  if (cause === 'kubelet-init-race') host.breakByInitRace(wallMs);
  else host.breakByNpmImageBug();
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
