import { CORDON_MARKER_ANNOTATION, isTerminal, type Phase } from '../../src/api/index.js';
import type { OperatorHandle } from '../../src/operator/operator.js';
import { eventually } from '../kit/eventually.js';
import { annotations, FAST_POLICY, isUnschedulable, phaseOf, startEnv, type Env } from '../kit/env.js';

const REMS = { group: 'chainmedic.io', resource: 'noderemediations' };
const NODES = { group: '', resource: 'nodes' };
const POLICIES = { group: 'chainmedic.io', resource: 'remediationpolicies' };
const FAST_LEASE = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

const stormGuard = (env: Env) =>
  (
    env.cluster.store.get(POLICIES, undefined, 'default')?.status as
      { stormGuard?: { active: boolean; affected: number; limit: number } } | undefined
  )?.stormGuard;

describe('operator replicas and crashes', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('two replicas with leader election: only the leader acts, the other takes over when it dies', async () => {
    env = await startEnv({ linuxNodes: 4, broken: 1 });
    const [first] = env.cluster.brokenNodes().map((b) => b.node);
    const a = await env.start({ leaderElect: true, identity: 'replica-a', leaderTimings: FAST_LEASE });
    const b = await env.start({ leaderElect: true, identity: 'replica-b', leaderTimings: FAST_LEASE });
    let bothLeading = false;
    const sampler = setInterval(() => {
      if (a.isLeader() && b.isLeader()) bothLeading = true;
    }, 10);
    try {
      await eventually(() => a.isLeader() || b.isLeader(), 'a leader');
      await eventually(() => phaseOf(env!.remediationsOn(first!)[0]) === 'Succeeded', 'first node healed');
      expect(env.cluster.kubeletRestarts(first!)).toBe(1);
      const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
      await leader.kill(); // no lease release: the follower must wait for the lease to expire
      const second = env.cluster.linuxNodeNames().find((n) => n !== first)!;
      env.cluster.breakNode(second, 'kubelet-init-race');
      await eventually(() => follower.isLeader(), 'failover');
      await eventually(() => phaseOf(env!.remediationsOn(second)[0]) === 'Succeeded', 'second node healed');
      expect(env.cluster.kubeletRestarts(second)).toBe(1);
      expect(env.cluster.kubeletRestarts(first!)).toBe(1);
      expect(bothLeading).toBe(false);
    } finally {
      clearInterval(sampler);
    }
  });

  it('the leader killed as a storm begins: the new leader publishes the storm guard and holds every remediation', async () => {
    env = await startEnv({ linuxNodes: 12, policy: { ...FAST_POLICY, maxUnhealthy: 3, maxConcurrent: 1 } });
    const storm = env.cluster.linuxNodeNames().slice(0, 6);
    const a = await env.start({ leaderElect: true, identity: 'replica-a', leaderTimings: FAST_LEASE });
    const b = await env.start({ leaderElect: true, identity: 'replica-b', leaderTimings: FAST_LEASE });
    await eventually(() => a.isLeader() || b.isLeader(), 'a leader');
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    await eventually(() => stormGuard(env!)?.active === false, 'the fleet view published, no storm');
    const cordons = new Set<string>();
    const stop = env.cluster.store.subscribe(NODES, (e) => {
      if (isUnschedulable(e.object)) cordons.add(e.object.metadata.name);
    });
    // Pod watches break now and then (as in the soak): a follower must still keep up with the storm's pods.
    env.cluster.server.faults.add({
      verb: 'watch',
      resource: 'pods',
      dropWatchProbability: 0.5,
      dropWatchAbruptly: true,
    });
    env.cluster.server.faults.dropActiveWatches({ resource: 'pods' }, true);
    await leader.kill();
    for (const n of storm) env.cluster.breakNode(n, 'kubelet-init-race');
    await eventually(() => follower.isLeader(), 'failover');
    await eventually(
      () => stormGuard(env!)?.active === true,
      'the new leader shows the storm on the policy',
      20_000,
    );
    expect(stormGuard(env)).toMatchObject({ limit: 3 });
    expect(stormGuard(env)!.affected).toBeGreaterThanOrEqual(storm.length);
    await eventually(
      () => storm.every((n) => env!.remediationsOn(n).some((r) => r.status?.reason === 'StormGuard')),
      'every storm remediation held by the storm guard',
    );
    stop();
    expect([...cordons]).toEqual([]);
    expect(storm.map((n) => env!.cluster.kubeletRestarts(n))).toEqual(storm.map(() => 0));
  });

  const phases: Phase[] = ['Cordoning', 'Remediating', 'Verifying', 'Uncordoning'];
  it.each(phases)(
    'killed right after writing %s, a restarted operator finishes: one kubelet restart, node uncordoned',
    async (phase) => {
      env = await startEnv({ linuxNodes: 2, broken: 1 });
      const [n] = env.cluster.brokenNodes().map((b) => b.node);
      const victim: { handle?: OperatorHandle } = {};
      let killed: Promise<void> | undefined;
      const stop = env.cluster.store.subscribe(REMS, (e) => {
        const status = e.object.status as { phase?: Phase } | undefined;
        // Synchronously inside the status write: the operator is stopped before it performs the effect.
        if (!killed && victim.handle && status?.phase === phase) killed = victim.handle.kill();
      });
      victim.handle = await env.start({ identity: 'victim' });
      await eventually(() => killed !== undefined, `the operator reached ${phase}`);
      await killed;
      stop();
      expect(phaseOf(env.remediationsOn(n!)[0])).toBe(phase);
      await env.start({ identity: 'successor' });
      await eventually(() => isTerminal(phaseOf(env!.remediationsOn(n!)[0])), 'a terminal phase');
      const nr = env.remediationsOn(n!)[0]!;
      expect(nr.status!.phase).toBe('Succeeded');
      expect(env.cluster.kubeletRestarts(n!)).toBe(1);
      expect(isUnschedulable(env.node(n!))).toBe(false);
      expect(annotations(env.node(n!))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    },
  );

  it('a cordon left behind by a remediation that was deleted is released at start-up', async () => {
    env = await startEnv({ linuxNodes: 2 });
    const n = env.cluster.linuxNodeNames()[0]!;
    const other = env.cluster.linuxNodeNames()[1]!;
    const NODES = { group: '', resource: 'nodes' };
    env.cluster.store.patch(NODES, undefined, n, 'merge', {
      metadata: { annotations: { [CORDON_MARKER_ANNOTATION]: 'gone-remediation' } },
      spec: { unschedulable: true },
    });
    // Someone else's cordon (no marker) is never released.
    env.cluster.store.patch(NODES, undefined, other, 'merge', { spec: { unschedulable: true } });
    await env.start();
    await eventually(() => !isUnschedulable(env!.node(n)), 'stale cordon released');
    expect(annotations(env.node(n))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    expect(isUnschedulable(env.node(other))).toBe(true);
  });
});
