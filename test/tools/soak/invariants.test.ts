import type { RemediationTimeline } from '../../../tools/bench/timeline.js';
import { checkInvariants, type SoakNodeFacts } from '../../../tools/soak/invariants.js';

const nr = (phase: RemediationTimeline['phase'], reason?: string, name = 'r'): RemediationTimeline => ({
  name,
  node: 'n',
  createdMs: 0,
  phase,
  reason,
  phases: [],
  attempts: 1,
  jobs: [],
  deleted: false,
});

const node = (extra: Partial<SoakNodeFacts>): SoakNodeFacts => ({
  node: 'n',
  brokeAs: null,
  brokenNow: null,
  kubeletRestarts: 0,
  remediations: [],
  unschedulable: false,
  ...extra,
});

const failuresOf = (nodes: SoakNodeFacts[], extra: Partial<Parameters<typeof checkInvariants>[0]> = {}) =>
  Object.fromEntries(
    checkInvariants({
      nodes,
      maxConcurrent: 2,
      maxSlotsInUse: 2,
      concurrencyViolations: [],
      storm: { triggered: false, engaged: false, violations: [] },
      ...extra,
    }).map((c) => [c.name, c.failures]),
  );

describe('soak invariants', () => {
  it('hold for a healed race node, a skipped image-bug node and an untouched one', () => {
    const checks = checkInvariants({
      nodes: [
        node({
          node: 'a',
          brokeAs: 'kubelet-init-race',
          kubeletRestarts: 1,
          remediations: [nr('Succeeded')],
        }),
        node({
          node: 'b',
          brokeAs: 'npm-image-bug',
          brokenNow: 'npm-image-bug',
          remediations: [nr('Skipped', 'ChainsPresent')],
        }),
        node({ node: 'c' }),
      ],
      maxConcurrent: 2,
      maxSlotsInUse: 2,
      concurrencyViolations: [],
      storm: { triggered: true, engaged: true, violations: [] },
    });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks).toHaveLength(6);
  });

  it.each<[string, SoakNodeFacts, string]>([
    [
      'a race node still broken after Skipped',
      node({
        brokeAs: 'kubelet-init-race',
        brokenNow: 'kubelet-init-race',
        remediations: [nr('Skipped', 'Recovered')],
      }),
      'every broken node healed, or Failed/Skipped with a reason',
    ],
    [
      'a race node never remediated',
      node({ brokeAs: 'kubelet-init-race', brokenNow: 'kubelet-init-race' }),
      'every broken node healed, or Failed/Skipped with a reason',
    ],
    [
      'kubelet restarted on an image-bug node',
      node({ brokeAs: 'npm-image-bug', kubeletRestarts: 1, remediations: [nr('Skipped', 'ChainsPresent')] }),
      'no kubelet restart on a node whose chains are present',
    ],
    [
      'kubelet restarted on a healthy node',
      node({ kubeletRestarts: 1 }),
      'no kubelet restart on a node whose chains are present',
    ],
    [
      'two restarts in one episode',
      node({ brokeAs: 'kubelet-init-race', kubeletRestarts: 2, remediations: [nr('Succeeded')] }),
      'no node restarted twice within one episode',
    ],
    [
      'a cordon left by a finished remediation',
      node({ unschedulable: true, cordonedBy: 'r', remediations: [nr('Succeeded', undefined, 'r')] }),
      'no node left cordoned by chainmedic',
    ],
  ])('catch %s', (_name, facts, check) => {
    const failures = failuresOf([facts]);
    expect(failures[check]).toHaveLength(1);
    const others = Object.entries(failures).filter(([name]) => name !== check);
    expect(others.every(([, f]) => f.length === 0)).toBe(true);
  });

  it('keeps the cordon of a Failed remediation (onFailure: KeepCordoned) without complaint', () => {
    const failures = failuresOf([
      node({
        brokeAs: 'kubelet-init-race',
        brokenNow: 'kubelet-init-race',
        unschedulable: true,
        cordonedBy: 'r',
        remediations: [nr('Failed', 'ChainsStillMissing', 'r')],
      }),
    ]);
    expect(Object.values(failures).flat()).toEqual([]);
  });

  it('fails concurrency and a storm guard that never engaged', () => {
    const failures = failuresOf([], {
      maxSlotsInUse: 3,
      storm: { triggered: true, engaged: false, violations: [] },
    });
    expect(failures['never more than maxConcurrent (2) remediations at once']).toEqual([]);
    const checks = checkInvariants({
      nodes: [],
      maxConcurrent: 2,
      maxSlotsInUse: 3,
      concurrencyViolations: [],
      storm: { triggered: true, engaged: false, violations: [] },
    });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'never more than maxConcurrent (2) remediations at once',
      'storm guard held while breakage exceeded maxUnhealthy',
    ]);
  });
});
