import { CORDON_MARKER_ANNOTATION } from '../../src/api/index.js';
import { eventually } from '../kit/eventually.js';
import { annotations, isUnschedulable, phaseOf, startEnv, type Env } from '../kit/env.js';

describe('operator under API faults', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('5xx, 429, dropped watches, 410 and conflicts do not lose a detection or double a restart', async () => {
    env = await startEnv({ linuxNodes: 4, broken: 2, seed: 11 });
    const faults = env.cluster.server.faults;
    faults.add({ verb: '*', resource: '*', errorRate: 0.15, errorCode: 500 });
    faults.add({ verb: 'patch', errorRate: 0.3, errorCode: 429, retryAfterSeconds: 1 });
    faults.add({ verb: 'create', errorRate: 0.3, errorCode: 503, retryAfterSeconds: 1 });
    faults.add({ verb: 'watch', dropWatchProbability: 0.2 });
    for (const resource of ['nodes', 'pods', 'noderemediations', 'jobs'])
      faults.forceGoneOnNextWatch({ resource });
    for (let i = 0; i < 3; i++) {
      faults.conflictOnNextWrite({ resource: 'noderemediations/status' });
      faults.conflictOnNextWrite({ resource: 'nodes' });
    }
    const broken = env.cluster.brokenNodes().map((b) => b.node);
    const op = await env.start();
    await eventually(
      () => broken.every((n) => phaseOf(env!.remediationsOn(n)[0]) === 'Succeeded'),
      'every broken node healed despite the faults',
      50_000,
    );
    for (const n of broken) {
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      expect(env.remediationsOn(n)).toHaveLength(1);
      expect(isUnschedulable(env.node(n))).toBe(false);
      expect(annotations(env.node(n))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    }
    expect(op.informerRestarts()).toBeGreaterThan(0);
    expect(env.cluster.server.requests.total({ code: 500 })).toBeGreaterThan(0);
  });
});
