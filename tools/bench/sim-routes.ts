import type { SimCluster } from '../sim/cluster.js';
import type { BreakCause } from '../sim/actors/host.js';
import type { FleetTimeline } from './timeline.js';
import { timelineReport } from './timeline-report.js';

/** Spread picks over the fleet (every k-th healthy linux node) so a burst is not one contiguous block. */
export function pickSpread(candidates: readonly string[], count: number): string[] {
  if (count >= candidates.length) return [...candidates];
  const step = candidates.length / count;
  return Array.from({ length: count }, (_, i) => candidates[Math.floor(i * step)]!);
}

/** The benchmark's own admin routes, under /sim/bench/. */
export function registerBenchRoutes(cluster: SimCluster, timeline: FleetTimeline): void {
  const admin = cluster.server.admin;
  admin.route('GET', '/sim/bench/timeline', () => ({ body: timelineReport(timeline) }));
  admin.route('POST', '/sim/bench/break', (req) => {
    const body = (req.body ?? {}) as { count?: number; cause?: BreakCause };
    const count = Number(body.count ?? 0);
    const cause: BreakCause = body.cause === 'npm-image-bug' ? 'npm-image-bug' : 'kubelet-init-race';
    const broken = new Set(cluster.brokenNodes().map((b) => b.node));
    const nodes = pickSpread(
      cluster.linuxNodeNames().filter((n) => !broken.has(n)),
      Math.max(0, count),
    );
    const atMs = Date.now();
    for (const node of nodes) cluster.breakNode(node, cause);
    return { body: { nodes, atMs } };
  });
  admin.route('GET', '/sim/bench/restarts', () => {
    const byNode: Record<string, number> = {};
    let total = 0;
    for (const node of cluster.linuxNodeNames()) {
      const n = cluster.kubeletRestarts(node);
      if (n > 0) byNode[node] = n;
      total += n;
    }
    return { body: { total, byNode } };
  });
  admin.route('POST', '/sim/bench/max-concurrent', (req) => {
    const value = Number((req.body as { value?: number } | undefined)?.value);
    timeline.maxConcurrent = Number.isFinite(value) ? value : undefined;
    return { body: { maxConcurrent: timeline.maxConcurrent ?? null } };
  });
}
