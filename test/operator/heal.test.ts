import { eventually } from '../kit/eventually.js';
import { isUnschedulable, phaseOf, startEnv, type Env } from '../kit/env.js';

describe('operator: a cache that disagrees with the server heals', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('a create that committed but answered 503, with no watch event to follow: AlreadyExists reads it into the cache', async () => {
    env = await startEnv({ linuxNodes: 2 });
    const n = env.cluster.linuxNodeNames()[0]!;
    const faults = env.cluster.server.faults;
    const op = await env.start();
    await op.ready();
    // The NodeRemediation watch stays down and relists fail (every attempt answers 500): the cache learns only
    // what the operator itself writes or reads, as when the watch event of a write is lost.
    await eventually(
      () => faults.activeWatches({ resource: 'noderemediations' }) === 1,
      'the NodeRemediation watch open',
    );
    faults.add({ verb: 'watch', resource: 'noderemediations', errorRate: 1, errorCode: 500 });
    faults.add({ verb: 'list', resource: 'noderemediations', errorRate: 1, errorCode: 500 });
    expect(faults.dropActiveWatches({ resource: 'noderemediations' })).toBe(1);
    // The episode's first create commits, and its answer is a 503: no object to put into the cache.
    faults.add({
      verb: 'create',
      resource: 'noderemediations',
      errorRate: 1,
      errorCode: 503,
      afterCommit: true,
      remaining: 1,
    });
    env.cluster.breakNode(n, 'kubelet-init-race');
    await eventually(() => phaseOf(env!.remediationsOn(n)[0]) === 'Succeeded', 'the node healed', 50_000);

    const served = env.cluster.server.requests;
    expect(served.total({ verb: 'create', resource: 'noderemediations', code: 503 })).toBe(1);
    // The retry was AlreadyExists, and the operator read the object instead of creating it again for ever.
    expect(served.total({ verb: 'create', resource: 'noderemediations', code: 409 })).toBeGreaterThanOrEqual(
      1,
    );
    expect(served.total({ verb: 'get', resource: 'noderemediations', code: 200 })).toBeGreaterThanOrEqual(1);
    // The only NodeRemediation watch that ever answered is the one dropped before the node broke.
    expect(served.total({ verb: 'watch', resource: 'noderemediations', code: 200 })).toBe(1);
    expect(env.remediationsOn(n)).toHaveLength(1);
    expect(env.cluster.kubeletRestarts(n)).toBe(1);
    expect(isUnschedulable(env.node(n))).toBe(false);
  });
});
