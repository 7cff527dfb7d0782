/**
 * Which nodes to probe now. Pure: the auditor (src/operator/auditor.ts) gathers the input from its caches and
 * creates the probe Jobs this returns.
 *
 * In order, within `maxConcurrentProbes` probe Jobs running fleet-wide:
 * 1. kubelet started on a node (its Starting Event, or a new bootID) since its last probe, and the settle delay
 *    (`afterKubeletStart`) has passed: kubelet's one-shot iptables init has run by then; if it lost the race the
 *    node is latent (azure-npm, still running, checks only at its own start).
 * 2. while the storm guard holds: the affected nodes not probed since the storm began, so the storm can be
 *    explained by what their chains look like (present: suspect the image; missing: kubelet).
 * 3. the rolling audit: the node probed longest ago (never probed first), paced so the fleet is covered in
 *    80% of `interval` (the rest is slack for busy Job controllers), never a node probed within half of it.
 * Never probed: nodes that are not eligible (Windows, NotReady, opted out, being operated on by the cluster),
 * nodes with a probe running, nodes with an active remediation (unless it waits at the gate of a storm).
 */
import type { ProbeReason } from '../api/index.js';
import type { EffectivePolicy } from '../config/policy.js';

export interface AuditNode {
  name: string;
  uid: string;
  /** Linux, Ready, not opted out, not being deleted, scaled down or upgraded. */
  eligible: boolean;
  /** A probe Job of this node has not finished. */
  probing: boolean;
  /** It has a NodeRemediation that is not terminal; `atGate`: it waits at the gate (Pending/Waiting). */
  active: boolean;
  atGate: boolean;
  /** ms: when its chains were last looked at (its condition's heartbeat, or its newest probe Job's creation). */
  lastProbedAt?: number;
  /** ms: kubelet's latest start seen (Starting Event or a new bootID), and which. */
  kubeletStart?: { at: number; reason: 'KubeletStarted' | 'Rebooted'; key: string };
  /** Affected in the storm the guard holds. */
  inStorm: boolean;
}

export interface PlanInput {
  now: number;
  audit: EffectivePolicy['audit'];
  /** Paused (or an invalid policy): no new Job of any kind. */
  paused: boolean;
  nodes: readonly AuditNode[];
  /** Probe Jobs running fleet-wide. */
  running: number;
  /** ms: the creation times of the rolling-audit probe Jobs that still exist (any order). */
  rollingStarts?: readonly number[];
  /** ms: when the storm the guard holds began. */
  stormSince?: number;
}

export interface ProbeOrder {
  node: string;
  uid: string;
  reason: ProbeReason;
  /** What the probe is for; its Job's name derives from it (idempotent across leader changes). */
  key: string;
}

/** Share of the interval the rolling audit covers the fleet in. */
export const COVERAGE_SHARE = 0.8;

export function planProbes(input: PlanInput): ProbeOrder[] {
  const { now, audit } = input;
  let free = audit.maxConcurrentProbes - input.running;
  if (!audit.enabled || input.paused || free <= 0) return [];
  const orders: ProbeOrder[] = [];
  const taken = new Set<string>();
  const take = (n: AuditNode, reason: ProbeReason, key: string) => {
    orders.push({ node: n.name, uid: n.uid, reason, key });
    taken.add(n.name);
    free--;
  };
  const idle = input.nodes.filter((n) => n.eligible && !n.probing);
  // A node whose kubelet started since its last probe waits for its settle delay: probed earlier, its chains may
  // not be there yet, and that probe would count as the one after the start.
  const settling = (n: AuditNode) =>
    n.kubeletStart !== undefined &&
    n.kubeletStart.at > (n.lastProbedAt ?? -Infinity) &&
    now < n.kubeletStart.at + audit.afterKubeletStartMs;

  const started = idle
    .filter((n) => {
      const s = n.kubeletStart;
      return (
        !n.active && s && s.at > (n.lastProbedAt ?? -Infinity) && now >= s.at + audit.afterKubeletStartMs
      );
    })
    .sort((a, b) => a.kubeletStart!.at - b.kubeletStart!.at || byName(a, b));
  for (const n of started) {
    if (free <= 0) return orders;
    take(n, n.kubeletStart!.reason, `${n.kubeletStart!.reason}/${n.kubeletStart!.key}`);
  }

  const since = input.stormSince;
  if (since !== undefined) {
    const stormy = idle
      .filter(
        (n) =>
          n.inStorm &&
          !settling(n) &&
          !taken.has(n.name) &&
          (!n.active || n.atGate) &&
          (n.lastProbedAt ?? -Infinity) < since,
      )
      .sort(byName);
    for (const n of stormy) {
      if (free <= 0) return orders;
      take(n, 'Storm', `Storm/${since}`);
    }
  }

  const eligible = input.nodes.filter((n) => n.eligible).length;
  if (eligible === 0) return orders;
  const paceMs = (audit.intervalMs * COVERAGE_SHARE) / eligible;
  const allowed = rollingSlots(input.rollingStarts ?? [], now, paceMs, free);
  if (allowed <= 0) return orders;
  const due = idle
    .filter((n) => !n.active && !taken.has(n.name) && !settling(n))
    .filter((n) => n.lastProbedAt === undefined || now - n.lastProbedAt >= audit.intervalMs / 2)
    .sort((a, b) => byLastProbed(a, b) || byName(a, b));
  for (const n of due.slice(0, Math.min(free, allowed))) take(n, 'Rolling', `Rolling/${n.lastProbedAt ?? 0}`);
  return orders;
}

/**
 * Rolling probes the pace allows now: slots every `paceMs` from the oldest rolling probe of the last ten paces,
 * minus those taken since (anchored there, not at the newest, so a tick that is not a multiple of the pace loses
 * nothing); none in that window: one, which starts the schedule (a burst up to the concurrency limit would run the
 * fleet faster than the pace whenever the window empties).
 */
function rollingSlots(starts: readonly number[], now: number, paceMs: number, free: number): number {
  const recent = starts.filter((t) => t > now - 10 * paceMs && t <= now);
  if (recent.length === 0) return Math.min(free, 1);
  return Math.floor((now - Math.min(...recent)) / paceMs) + 1 - recent.length;
}

/** Never probed first, then the oldest probe. */
function byLastProbed(a: AuditNode, b: AuditNode): number {
  if (a.lastProbedAt === b.lastProbedAt) return 0;
  if (a.lastProbedAt === undefined) return -1;
  if (b.lastProbedAt === undefined) return 1;
  return a.lastProbedAt - b.lastProbedAt;
}

function byName(a: AuditNode, b: AuditNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
