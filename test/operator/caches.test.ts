import { pino } from 'pino';
import { LABEL_APP, LABEL_APP_VALUE } from '../../src/api/index.js';
import { paths } from '../../src/kube/paths.js';
import { Caches, type CacheHandlers } from '../../src/operator/caches.js';
import { JOBS, NODES, type KubeObject } from '../../tools/sim/api/types.js';
import { eventually } from '../kit/eventually.js';
import { NO_HANDLERS } from '../kit/operator-parts.js';
import { nodeObject, startSimApi, type SimApi } from '../kit/sim-api.js';

const AGENT_NS = 'chainmedic-agent';
const REMS = { group: 'chainmedic.io', resource: 'noderemediations' };
/** The node and remediation events the caches announced (what the triggers and the fleet index hear). */
const announced: string[] = [];
const handlers: CacheHandlers = {
  ...NO_HANDLERS,
  nodes: (e) => announced.push(`${e.type} node ${e.object.metadata.name}`),
  remediations: (e) => announced.push(`${e.type} ${e.object.metadata.name}`),
};

const remediation = (name: string, nodeName: string) =>
  ({
    apiVersion: 'chainmedic.io/v1alpha1',
    kind: 'NodeRemediation',
    metadata: { name },
    spec: { nodeName, trigger: { source: 'Manual' } },
  }) as unknown as KubeObject;

const job = (name: string, nodeName: string) =>
  ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: AGENT_NS, labels: { [LABEL_APP]: LABEL_APP_VALUE } },
    spec: {
      template: {
        spec: {
          nodeName,
          restartPolicy: 'Never',
          containers: [{ name: 'agent', image: 'x', args: ['agent'] }],
        },
      },
    },
  }) as unknown as KubeObject;

/**
 * The operator's caches (src/operator/caches.ts) against the simulated API server: every change the fleet index
 * and the triggers read is announced once, however it reached the cache, and the node indexes follow the same
 * changes.
 */
describe('Caches', () => {
  let sim: SimApi;
  let caches: Caches;
  beforeEach(async () => {
    announced.length = 0;
    sim = await startSimApi({ crds: true, namespaces: [AGENT_NS] });
    caches = new Caches(
      {
        rest: sim.client.rest,
        agentNamespace: AGENT_NS,
        log: pino({ level: 'silent' }),
        informer: { backoffMaxMs: 200 },
        stopped: () => false,
      },
      handlers,
    );
  });
  afterEach(async () => {
    await caches.stop();
    await sim.close();
  });

  /** Waits until the remediations' watch has handled everything up to the store's latest change. */
  const caughtUp = async () => {
    const rv = Number(
      sim.store.create(REMS, remediation(`marker-${Math.random()}`, 'elsewhere')).metadata.resourceVersion,
    );
    await eventually(() => Number(caches.remediations.lastResourceVersion()) >= rv, 'the watch caught up');
  };

  it('announces a list, a watch event and a read-your-writes upsert once each; the index follows', async () => {
    sim.store.create(NODES, nodeObject('n1'));
    sim.store.create(REMS, remediation('listed', 'n1'));
    caches.start();
    await caches.waitForSync();

    // The list.
    expect(announced).toEqual(expect.arrayContaining(['add node n1', 'add listed']));
    expect(caches.remediationsOn('n1').map((r) => r.metadata.name)).toEqual(['listed']);

    // A watch event.
    sim.store.create(REMS, remediation('watched', 'n2'));
    await eventually(() => caches.remediationsOn('n2').length === 1, 'the watched remediation indexed');
    expect(announced).toContain('add watched');
    expect(caches.nodesWithRemediations().sort()).toEqual(['n1', 'n2']);

    // Read-your-writes: in the cache, the index and the announcements before the watch brings it.
    const written = await sim.client.rest.create(paths.remediations(), remediation('written', 'n3'));
    expect(caches.remediations.upsert(written)).toBe(true);
    expect(announced).toContain('add written');
    expect(caches.remediationsOn('n3').map((r) => r.metadata.name)).toEqual(['written']);

    // The watch event of the same version that follows is not announced again.
    await caughtUp();
    expect(announced.filter((e) => e.endsWith(' written'))).toEqual(['add written']);
    expect(caches.remediationsOn('n3')).toHaveLength(1);

    // A delete, by watch: gone from the index too.
    sim.store.delete(REMS, undefined, 'listed');
    await eventually(() => caches.remediationsOn('n1').length === 0, 'the deleted remediation unindexed');
    expect(announced).toContain('delete listed');
  });

  it('stores a change no handler reads without announcing it: a quiet node update', async () => {
    sim.store.create(NODES, nodeObject('n1'));
    caches.start();
    await caches.waitForSync();
    const before = announced.length;

    // A heartbeat-like change the trimmed node does not keep: stored, not announced.
    sim.store.patch(NODES, undefined, 'n1', 'merge', { metadata: { labels: { heartbeat: 'now' } } });
    // An agent Job: indexed by node.
    sim.store.create(JOBS, job('j1', 'n1'));
    await eventually(() => caches.jobsOn('n1').length === 1, 'the Job indexed by its node');
    await eventually(
      () =>
        Number(caches.nodes.lastResourceVersion()) >=
        Number(sim.store.get(NODES, undefined, 'n1')!.metadata.resourceVersion),
      'the node watch caught up',
    );
    expect(announced.slice(before)).toEqual([]);

    // A change it keeps (cordoned) is announced.
    sim.store.patch(NODES, undefined, 'n1', 'merge', { spec: { unschedulable: true } });
    await eventually(() => announced.includes('update node n1'), 'the cordon announced');
    expect(caches.nodes.get('n1')?.spec.unschedulable).toBe(true);
  });
});
