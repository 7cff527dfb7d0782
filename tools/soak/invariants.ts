/**
 * The soak's verdict: the design's invariants checked over what happened. Pure: facts in, checks out.
 */
import type { RemediationTimeline, TimelineViolation } from '../bench/timeline.js';

export interface SoakNodeFacts {
  node: string;
  /** Why the soak broke the node, or null when it never did. */
  brokeAs: 'kubelet-init-race' | 'npm-image-bug' | null;
  /** The sim's view at the end: still broken by this cause, or null. */
  brokenNow: string | null;
  kubeletRestarts: number;
  remediations: readonly RemediationTimeline[];
  unschedulable: boolean;
  /** The chainmedic cordon marker on the node at the end. */
  cordonedBy?: string;
}

export interface StormFacts {
  /** The soak broke more nodes than maxUnhealthy at once. */
  triggered: boolean;
  /** The operator published stormGuard.active while it lasted. */
  engaged: boolean;
  violations: readonly TimelineViolation[];
}

export interface InvariantCheck {
  name: string;
  ok: boolean;
  checked: number;
  failures: string[];
}

const latest = (rs: readonly RemediationTimeline[]) =>
  [...rs]
    .filter((r) => !r.deleted)
    .sort((a, b) => a.createdMs - b.createdMs)
    .at(-1);
const describe = (r: RemediationTimeline | undefined) =>
  r ? `${r.name} ${r.phase}${r.reason ? ` (${r.reason})` : ''}` : 'no NodeRemediation';

export function checkInvariants(input: {
  nodes: readonly SoakNodeFacts[];
  maxConcurrent: number;
  maxSlotsInUse: number;
  concurrencyViolations: readonly TimelineViolation[];
  storm: StormFacts;
}): InvariantCheck[] {
  const check = (
    name: string,
    subjects: readonly SoakNodeFacts[],
    fail: (n: SoakNodeFacts) => string | null,
  ) => {
    const failures = subjects.flatMap((n) => {
      const why = fail(n);
      return why ? [`${n.node}: ${why}`] : [];
    });
    return { name, ok: failures.length === 0, checked: subjects.length, failures };
  };
  const broken = input.nodes.filter((n) => n.brokeAs !== null);
  const race = broken.filter((n) => n.brokeAs === 'kubelet-init-race');
  const chainsPresent = input.nodes.filter((n) => n.brokeAs !== 'kubelet-init-race');

  const checks: InvariantCheck[] = [
    check('every broken node healed, or Failed/Skipped with a reason', broken, (n) => {
      const r = latest(n.remediations);
      if (n.brokeAs === 'kubelet-init-race' && n.brokenNow === null) return null;
      // Chains present (azure-npm image bug): Skipped is the right answer; a race node must heal or Fail.
      const allowed = n.brokeAs === 'npm-image-bug' ? ['Skipped', 'Failed'] : ['Failed'];
      if (r && allowed.includes(r.phase) && r.reason) return null;
      return `still broken (${n.brokenNow ?? 'unknown'}), ${describe(r)}`;
    }),
    check('no kubelet restart on a node whose chains are present', chainsPresent, (n) =>
      n.kubeletRestarts > 0
        ? `kubelet restarted ${n.kubeletRestarts} time(s) (${n.brokeAs ?? 'never broken'})`
        : null,
    ),
    check('no node restarted twice within one episode', race, (n) =>
      n.kubeletRestarts > 1 ? `kubelet restarted ${n.kubeletRestarts} times in one episode` : null,
    ),
    check('no node left cordoned by chainmedic', input.nodes, (n) => {
      if (!n.cordonedBy) return null;
      const owner = n.remediations.find((r) => r.name === n.cordonedBy);
      // onFailure: KeepCordoned keeps a Failed remediation's cordon on purpose, for a human to look.
      if (owner?.phase === 'Failed') return null;
      return `still cordoned by ${n.cordonedBy} (${describe(owner)})`;
    }),
    {
      name: `never more than maxConcurrent (${input.maxConcurrent}) remediations at once`,
      ok: input.concurrencyViolations.length === 0 && input.maxSlotsInUse <= input.maxConcurrent,
      checked: 1,
      failures: input.concurrencyViolations.map((v) => v.detail),
    },
  ];
  if (input.storm.triggered) {
    const failures = input.storm.violations.map((v) => v.detail);
    if (!input.storm.engaged)
      failures.unshift('the storm guard never engaged while breakage exceeded maxUnhealthy');
    checks.push({
      name: 'storm guard held while breakage exceeded maxUnhealthy',
      ok: failures.length === 0,
      checked: 1,
      failures,
    });
  }
  return checks;
}
