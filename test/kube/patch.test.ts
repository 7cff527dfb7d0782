import { CORDON_MARKER_ANNOTATION } from '../../src/api/index.js';
import { cordonNode, createIfAbsent, deletePodByUid, uncordonNode } from '../../src/kube/patch.js';
import { EventRecorder } from '../../src/kube/event-recorder.js';
import { EVENTS, NODES, PODS } from '../../tools/sim/api/index.js';
import { nodeObject as node, startSimApi, type SimApi } from '../kit/sim-api.js';

type NodeObj = {
  metadata: { annotations?: Record<string, string>; resourceVersion?: string };
  spec: { unschedulable?: boolean };
};

describe('patch helpers against the simulated API server', () => {
  let sim: SimApi;
  beforeEach(async () => {
    sim = await startSimApi();
    sim.store.create(NODES, node('n1'));
  });
  afterEach(async () => sim.close());
  const read = () => sim.store.get(NODES, undefined, 'n1') as unknown as NodeObj;

  it('cordons with the marker in one merge patch, and refuses a stale resourceVersion', async () => {
    const rv = read().metadata.resourceVersion;
    sim.store.patch(NODES, undefined, 'n1', 'merge', { metadata: { labels: { touched: 'yes' } } });
    await expect(cordonNode(sim.client.rest, 'n1', 'rem-a', rv)).rejects.toMatchObject({ code: 409 });
    expect(read().spec.unschedulable).toBeUndefined();
    await cordonNode(sim.client.rest, 'n1', 'rem-a', read().metadata.resourceVersion);
    expect(read().spec.unschedulable).toBe(true);
    expect(read().metadata.annotations?.[CORDON_MARKER_ANNOTATION]).toBe('rem-a');
  });

  it('uncordons only while the marker still names us', async () => {
    await cordonNode(sim.client.rest, 'n1', 'rem-a');
    sim.store.patch(NODES, undefined, 'n1', 'merge', {
      metadata: { annotations: { [CORDON_MARKER_ANNOTATION]: 'rem-b' } },
    });
    expect(await uncordonNode(sim.client.rest, 'n1', 'rem-a')).toBe('not-ours');
    expect(read().spec.unschedulable).toBe(true);
    expect(await uncordonNode(sim.client.rest, 'n1', 'rem-b')).toBe('uncordoned');
    expect(read().spec.unschedulable).toBe(false);
    expect(read().metadata.annotations?.[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    expect(await uncordonNode(sim.client.rest, 'n1', 'rem-b')).toBe('not-ours');
    expect(await uncordonNode(sim.client.rest, 'gone', 'rem-b')).toBe('node-gone');
  });

  it('an uncordon the server refuses with 422 while the marker still names us is a refusal, not "not ours"', async () => {
    await cordonNode(sim.client.rest, 'n1', 'rem-a');
    // What an admission policy denying Node updates answers (a ValidatingAdmissionPolicy's default code).
    sim.server.faults.add({ verb: 'patch', resource: 'nodes', errorRate: 1, errorCode: 422, remaining: 1 });
    await expect(uncordonNode(sim.client.rest, 'n1', 'rem-a')).rejects.toMatchObject({ code: 422 });
    expect(read().spec.unschedulable).toBe(true);
    expect(await uncordonNode(sim.client.rest, 'n1', 'rem-a')).toBe('uncordoned');
  });

  it('create is idempotent and a pod is deleted only by uid', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    expect(await createIfAbsent(sim.client.rest, '/api/v1/namespaces/default/pods', pod)).toBe('created');
    expect(await createIfAbsent(sim.client.rest, '/api/v1/namespaces/default/pods', pod)).toBe('exists');
    const uid = sim.store.get(PODS, 'default', 'p')!.metadata.uid!;
    expect(await deletePodByUid(sim.client.rest, 'default', 'p', 'other-uid')).toBe('gone');
    expect(sim.store.get(PODS, 'default', 'p')).toBeDefined();
    expect(await deletePodByUid(sim.client.rest, 'default', 'p', uid)).toBe('deleted');
    expect(sim.store.get(PODS, 'default', 'p')).toBeUndefined();
  });
});

describe('EventRecorder', () => {
  let sim: SimApi;
  beforeEach(async () => {
    sim = await startSimApi();
  });
  afterEach(async () => sim.close());

  it('aggregates repeats into one Event with a count, and never throws', async () => {
    let now = 1_000_000;
    const errors: unknown[] = [];
    const rec = new EventRecorder({
      rest: sim.client.rest,
      now: () => now,
      aggregateWindowMs: 60_000,
      onError: (e) => errors.push(e),
    });
    const object = { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u1' };
    for (let i = 0; i < 5; i++) {
      now += 1000;
      await rec.record({ object, type: 'Warning', reason: 'Loop', message: `try ${i}` });
    }
    await rec.record({ object, type: 'Normal', reason: 'Other', message: 'x' });
    const events = sim.store.list(EVENTS, { namespace: 'default' }) as unknown as {
      reason: string;
      count: number;
      message: string;
    }[];
    expect(events).toHaveLength(2);
    const loop = events.find((e) => e.reason === 'Loop')!;
    expect(loop.count).toBe(5);
    expect(loop.message).toBe('try 4');
    now += 120_000; // outside the window: a new Event
    await rec.record({ object, type: 'Warning', reason: 'Loop', message: 'later' });
    expect(sim.store.list(EVENTS, { namespace: 'default' })).toHaveLength(3);
    sim.server.faults.add({ resource: 'events', errorRate: 1, errorCode: 500 });
    await expect(
      rec.record({ object, type: 'Normal', reason: 'New', message: 'y' }),
    ).resolves.toBeUndefined();
    expect(errors.length).toBe(1);
  });
});
