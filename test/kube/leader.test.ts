import { LeaderElector, leaseExpired, microTime } from '../../src/kube/leader.js';
import { LEASES } from '../../tools/sim/api/index.js';
import { eventually } from '../kit/eventually.js';
import { startSimApi, type SimApi } from '../kit/sim-api.js';

const FAST = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

describe('leaseExpired', () => {
  it('judges expiry by the local time since the record was observed, not by renewTime', () => {
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: microTime(0) };
    expect(leaseExpired(spec, 1_000_000, 1_014_000)).toBe(false);
    expect(leaseExpired(spec, 1_000_000, 1_015_001)).toBe(true);
    expect(leaseExpired({ holderIdentity: '' }, 0, 0)).toBe(true);
  });
  it('formats MicroTime with microseconds', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});

describe('LeaderElector on the simulated API server', () => {
  let sim: SimApi;
  const electors: LeaderElector[] = [];
  beforeEach(async () => {
    sim = await startSimApi();
  });
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop({ release: false });
    await sim.close();
  });

  const candidate = (identity: string, log: string[], timings = FAST) => {
    const e = new LeaderElector({
      rest: sim.client.rest,
      namespace: 'chainmedic-system',
      leaseName: 'chainmedic-leader',
      identity,
      timings,
      onStartedLeading: () => log.push(`${identity}:start`),
      onStoppedLeading: () => log.push(`${identity}:stop`),
    });
    electors.push(e);
    return e;
  };

  it('elects exactly one of two candidates and fails over when the leader releases', async () => {
    const log: string[] = [];
    const a = candidate('a', log);
    const b = candidate('b', log);
    a.start();
    b.start();
    await eventually(() => a.isLeader() || b.isLeader(), 'a leader');
    // Three renewals later (each a lease update the server answered 200), still exactly one.
    const renewals = () => sim.server.requests.total({ verb: 'update', resource: 'leases', code: 200 });
    const before = renewals();
    await eventually(() => renewals() >= before + 3, 'three renewals of the lease');
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    const lease = sim.store.get(LEASES, 'chainmedic-system', 'chainmedic-leader')!;
    expect((lease.spec as { holderIdentity: string }).holderIdentity).toBe(leader === a ? 'a' : 'b');
    await leader.stop();
    await eventually(() => other.isLeader(), 'failover');
    expect(log.filter((l) => l.endsWith(':start'))).toHaveLength(2);
  });

  it('takes over from a leader that vanished without releasing, only after the lease duration', async () => {
    const log: string[] = [];
    const slow = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 100 };
    const a = candidate('a', log, slow);
    a.start();
    await eventually(() => a.isLeader(), 'a leads');
    await a.stop({ release: false }); // like a SIGKILL: the lease still names a
    const b = candidate('b', log, slow);
    const leaseReads = () =>
      sim.server.requests.recent().filter((r) => r.resource === 'leases' && r.verb === 'get').length;
    const before = leaseReads();
    b.start();
    // b has looked at the lease a few times: still a's, and b does not lead.
    await eventually(() => leaseReads() >= before + 3, 'b tried a few times');
    expect(b.isLeader()).toBe(false);
    const held = sim.store.get(LEASES, 'chainmedic-system', 'chainmedic-leader')!;
    expect((held.spec as { holderIdentity: string }).holderIdentity).toBe('a');
    await eventually(() => b.isLeader(), 'b takes over after expiry');
    const lease = sim.store.get(LEASES, 'chainmedic-system', 'chainmedic-leader')!;
    expect((lease.spec as { leaseTransitions: number }).leaseTransitions).toBe(1);
  });

  it('stops leading at once when renewals fail past the deadline', async () => {
    const log: string[] = [];
    const a = candidate('a', log);
    a.start();
    await eventually(() => a.isLeader(), 'a leads');
    sim.server.faults.add({ resource: 'leases.coordination.k8s.io', errorRate: 1, errorCode: 500 });
    await eventually(() => !a.isLeader(), 'a gives up');
    expect(log).toEqual(['a:start', 'a:stop']);
    sim.server.faults.clear();
    await eventually(() => a.isLeader(), 'a leads again once the API server is back');
  });
});
