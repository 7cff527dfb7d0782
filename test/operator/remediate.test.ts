import { CORDON_MARKER_ANNOTATION } from '../../src/api/index.js';
import { annotations, eventually, isUnschedulable, phaseOf, startEnv, type Env } from './harness.js';

describe('operator end to end on the simulated cluster', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('remediates broken nodes: cordon, Job, one kubelet restart, verify, uncordon, Succeeded', async () => {
    env = await startEnv({ linuxNodes: 4, broken: 2 });
    const broken = env.cluster.brokenNodes().map((b) => b.node);
    const healthy = env.cluster.linuxNodeNames().filter((n) => !broken.includes(n));
    const cordonedSeen = new Set<string>();
    const unsubscribe = env.cluster.store.subscribe({ group: '', resource: 'nodes' }, (e) => {
      if (isUnschedulable(e.object)) cordonedSeen.add(e.object.metadata.name);
    });
    await env.start();
    await eventually(
      () => broken.every((n) => env!.remediationsOn(n).some((r) => phaseOf(r) === 'Succeeded')),
      'both broken nodes remediated',
    );
    unsubscribe();
    for (const n of broken) {
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      expect(cordonedSeen.has(n)).toBe(true);
      expect(isUnschedulable(env.node(n))).toBe(false);
      expect(annotations(env.node(n))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
      const [nr] = env.remediationsOn(n);
      expect(nr!.status!.agent?.kubeletRestarted).toBe(true);
      expect(nr!.status!.cordonedByUs).toBe(true);
    }
    for (const n of healthy) {
      expect(env.remediationsOn(n)).toHaveLength(0);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
    }
  });
});
