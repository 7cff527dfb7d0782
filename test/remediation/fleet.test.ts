import { validatePolicy } from '../../src/config/policy.js';
import { fleetCounts, policyStatusFromView, snapshotFleet } from '../../src/remediation/fleet.js';
import { NOW, inPhase, remediation } from './fixtures.js';

const on = (node: string, phase: Parameters<typeof inPhase>[0], name = `nr-${node}`) =>
  remediation(inPhase(phase), { name, spec: { nodeName: node, trigger: { source: 'Manual' } } });

describe('the fleet counts: one definition for the gate and the status', () => {
  const linux = new Set(['a', 'b', 'c', 'd', 'e']);
  const remediations = [
    on('a', 'Remediating'),
    on('b', 'Waiting'),
    on('c', 'Succeeded'),
    on('d', 'Uncordoning'),
    // Active on a node that is gone and on a Windows node: both end Skipped; neither is an affected Linux node.
    on('gone', 'Cordoning'),
    on('win', 'Pending'),
  ];
  const snapshot = snapshotFleet(linux, ['a', 'e', 'win'], remediations);

  it('affected = Linux nodes with a suspect target pod or an active remediation, each once', () => {
    expect([...snapshot.affected].sort()).toEqual(['a', 'b', 'd', 'e']);
    expect(fleetCounts(snapshot)).toEqual({ activeRemediations: 3, affectedNodes: 4, linuxNodes: 5 });
  });

  it("a node's gate counts the slots held on other nodes, any node, and the same affected nodes", () => {
    expect(fleetCounts(snapshot, 'a')).toEqual({ activeRemediations: 2, affectedNodes: 4, linuxNodes: 5 });
    expect(fleetCounts(snapshot, 'gone').activeRemediations).toBe(2);
    expect(fleetCounts(snapshot, 'b').activeRemediations).toBe(3);
  });

  it('the status publishes exactly the counts of the snapshot', () => {
    const status = policyStatusFromView({
      linuxNodes: snapshot.linuxNodes,
      affected: snapshot.affected,
      optedOutNodes: 0,
      remediations,
      unconfirmedCrashLoops: 0,
      policy: validatePolicy({ maxUnhealthy: 3 }),
      now: NOW,
    });
    const counts = fleetCounts(snapshot);
    expect(status).toMatchObject({
      affectedNodes: counts.affectedNodes,
      activeRemediations: counts.activeRemediations,
      stormGuard: { active: true, affected: 4, limit: 3 },
    });
  });
});

describe('policyStatusFromView', () => {
  const base = {
    linuxNodes: 20,
    optedOutNodes: 1,
    remediations: [on('a', 'Remediating')],
    unconfirmedCrashLoops: 2,
    now: NOW,
  };

  it('reports the fleet and a storm when too many nodes are affected', () => {
    const status = policyStatusFromView({
      ...base,
      affected: new Set(['a', 'b', 'c']),
      policy: validatePolicy(undefined),
    });
    expect(status).toMatchObject({
      linuxNodes: 20,
      optedOutNodes: 1,
      affectedNodes: 3,
      activeRemediations: 1,
      stormGuard: { active: true, affected: 3, limit: 2 },
      unconfirmedCrashLoops: 2,
    });
    const byType = Object.fromEntries(status.conditions!.map((c) => [c.type, c.status]));
    expect(byType).toEqual({ Ready: 'True', Paused: 'False', StormActive: 'True', Degraded: 'False' });
    expect(status.rejectedNodes).toBe(0);
  });

  it('an invalid policy is not Ready and says why', () => {
    const status = policyStatusFromView({
      ...base,
      affected: new Set(),
      policy: validatePolicy({ cooldown: 'soon' }),
    });
    const ready = status.conditions!.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidPolicy' });
    expect(ready?.message).toMatch(/spec\.cooldown/);
  });

  it('keeps lastTransitionTime while a condition does not change', () => {
    const first = policyStatusFromView({
      ...base,
      affected: new Set(),
      policy: validatePolicy({ paused: true }),
    });
    const later = policyStatusFromView({
      ...base,
      affected: new Set(),
      policy: validatePolicy({ paused: true }),
      previous: first,
      now: NOW + 60_000,
    });
    const paused = (s: typeof first) => s.conditions!.find((c) => c.type === 'Paused');
    expect(paused(later)).toEqual(paused(first));
    expect(paused(later)?.status).toBe('True');
  });
});

describe('policyStatusFromView: remediations the API server refused', () => {
  const rejected = (node: string, name: string, completed: string, message: string) =>
    remediation(
      {
        ...inPhase('Failed'),
        reason: 'JobRejected',
        message: `${message} Fix the cause, then delete this NodeRemediation to retry.`,
        completionTime: completed,
      },
      { name, creationTimestamp: completed, spec: { nodeName: node, trigger: { source: 'Manual' } } },
    );
  const view = (remediations: ReturnType<typeof remediation>[]) =>
    policyStatusFromView({
      linuxNodes: 20,
      optedOutNodes: 0,
      affected: new Set(),
      remediations,
      unconfirmedCrashLoops: 0,
      policy: validatePolicy(undefined),
      now: NOW,
    });

  it('one Degraded condition names the nodes, the latest message and the command to retry', () => {
    const status = view([
      rejected('b', 'nr-b', '2026-11-24T19:00:00Z', 'quota says no.'),
      rejected('a', 'nr-a', '2026-11-24T19:30:00Z', 'the policy says no.'),
      on('c', 'Succeeded'),
    ]);
    expect(status.rejectedNodes).toBe(2);
    const degraded = status.conditions!.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'JobsRejected' });
    expect(degraded!.message).toContain('2 node(s) (a, b)');
    expect(degraded!.message).toContain('the policy says no.');
    expect(degraded!.message).not.toContain('quota says no.');
    expect(degraded!.message).toContain('kubectl delete noderemediation nr-a nr-b');
  });

  it('a node whose later remediation went on no longer counts', () => {
    const status = view([
      rejected('a', 'nr-a-1', '2026-11-24T19:00:00Z', 'no.'),
      remediation(inPhase('Remediating'), {
        name: 'nr-a-2',
        creationTimestamp: '2026-11-24T19:40:00Z',
        spec: { nodeName: 'a', trigger: { source: 'Manual' } },
      }),
    ]);
    expect(status.rejectedNodes).toBe(0);
    expect(status.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'False',
      reason: 'NoRefusals',
    });
  });
});
