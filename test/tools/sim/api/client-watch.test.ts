import { CoreV1Api, Watch, makeInformer, type V1Node } from '@kubernetes/client-node';
import { eventually } from '../../../kit/eventually.js';
import { nodeObject, startHarness, type Harness } from '../../../kit/sim-api.js';
import { NODES } from '../../../../tools/sim/api/types.js';

interface Seen {
  type: string;
  name?: string;
  rv?: string;
  code?: number;
  reason?: string;
}

/** Opens a watch with the real client and records every event until the stream ends. */
async function openWatch(
  h: Harness,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
) {
  const events: Seen[] = [];
  let ended = false;
  let endError: unknown;
  const controller = await new Watch(h.kc).watch(
    path,
    query,
    (
      type,
      obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string },
    ) => {
      events.push({
        type,
        name: obj.metadata?.name,
        rv: obj.metadata?.resourceVersion,
        code: obj.code,
        reason: obj.reason,
      });
    },
    (err) => {
      ended = true;
      endError = err;
    },
  );
  return { events, controller, isEnded: () => ended, endError: () => endError };
}

describe('watch', () => {
  let h: Harness;
  let core: CoreV1Api;
  beforeEach(async () => {
    h = await startHarness({ historySize: 50 }, { bookmarkIntervalMs: 50 });
    core = h.kc.makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    await h.stop();
  });

  test('list then watch from the list resourceVersion sees ADDED, MODIFIED, DELETED in order', async () => {
    await core.createNode({ body: nodeObject('a') as V1Node });
    const list = await core.listNode();
    const w = await openWatch(h, '/api/v1/nodes', { resourceVersion: list.metadata?.resourceVersion });
    await eventually(() => h.server.faults.activeWatches() === 1);
    await core.createNode({ body: nodeObject('b') as V1Node });
    h.store.patch(NODES, undefined, 'a', 'merge', { spec: { unschedulable: true } });
    await core.deleteNode({ name: 'b' });
    await eventually(() => w.events.length === 3);
    expect(w.events.map((e) => `${e.type}:${e.name}`)).toEqual(['ADDED:b', 'MODIFIED:a', 'DELETED:b']);
    const rvs = w.events.map((e) => Number(e.rv));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    w.controller.abort();
  });

  test('a watch without resourceVersion starts with the current objects as ADDED', async () => {
    await core.createNode({ body: nodeObject('x') as V1Node });
    await core.createNode({ body: nodeObject('y') as V1Node });
    const w = await openWatch(h, '/api/v1/nodes', {});
    await eventually(() => w.events.length === 2);
    expect(w.events.map((e) => `${e.type}:${e.name}`)).toEqual(['ADDED:x', 'ADDED:y']);
    w.controller.abort();
  });

  test('reconnecting from the last seen resourceVersion replays exactly the missed events', async () => {
    const list = await core.listNode();
    const first = await openWatch(h, '/api/v1/nodes', { resourceVersion: list.metadata?.resourceVersion });
    await eventually(() => h.server.faults.activeWatches() === 1);
    await core.createNode({ body: nodeObject('r1') as V1Node });
    await eventually(() => first.events.length === 1);
    first.controller.abort();
    await eventually(() => h.server.faults.activeWatches() === 0);
    await core.createNode({ body: nodeObject('r2') as V1Node });
    await core.deleteNode({ name: 'r1' });
    const second = await openWatch(h, '/api/v1/nodes', { resourceVersion: first.events[0]!.rv });
    await eventually(() => second.events.length === 2);
    expect(second.events.map((e) => `${e.type}:${e.name}`)).toEqual(['ADDED:r2', 'DELETED:r1']);
    second.controller.abort();
  });

  test('a resourceVersion older than the retained history gets one ERROR event with a 410 Status', async () => {
    const old = h.store.resourceVersion();
    for (let i = 0; i < 60; i++) h.store.create(NODES, nodeObject(`old-${i}`));
    const w = await openWatch(h, '/api/v1/nodes', { resourceVersion: old });
    await eventually(() => w.isEnded());
    expect(w.events).toEqual([expect.objectContaining({ type: 'ERROR', code: 410, reason: 'Expired' })]);
  });

  test('label-selected watch: objects leaving the selection are DELETED, entering are ADDED', async () => {
    await core.createNode({ body: nodeObject('sel', { pool: 'a' }) as V1Node });
    const list = await core.listNode({ labelSelector: 'pool=a' });
    const w = await openWatch(h, '/api/v1/nodes', {
      resourceVersion: list.metadata?.resourceVersion,
      labelSelector: 'pool=a',
    });
    await eventually(() => h.server.faults.activeWatches() === 1);
    h.store.patch(NODES, undefined, 'sel', 'merge', { metadata: { labels: { pool: 'b' } } });
    h.store.patch(NODES, undefined, 'sel', 'merge', { metadata: { labels: { other: 'x' } } });
    h.store.patch(NODES, undefined, 'sel', 'merge', { metadata: { labels: { pool: 'a' } } });
    await eventually(() => w.events.length === 2);
    expect(w.events.map((e) => e.type)).toEqual(['DELETED', 'ADDED']);
    w.controller.abort();
  });

  // Bookmarks as a real apiserver's watch cache sends them (conformance.test.ts checks the same on a real one):
  // only once the resource changed past what the watch delivered, never for events. Each watch below ends by
  // its timeoutSeconds, after bookmarks every 50 ms would have shown up many times.
  const bookmarkWatch = async (path: string, rv: string | undefined, extra: Record<string, string> = {}) => {
    const w = await openWatch(h, path, {
      resourceVersion: rv,
      allowWatchBookmarks: true,
      timeoutSeconds: 1,
      ...extra,
    });
    await eventually(() => h.server.faults.activeWatches() === 1);
    return w;
  };
  const ended = async (w: Awaited<ReturnType<typeof openWatch>>) => {
    await eventually(() => w.isEnded(), 'the watch ended', 10_000);
    expect(w.endError()).toBeNull();
    return w.events.map((e) => (e.type === 'BOOKMARK' ? `BOOKMARK@${e.rv}` : `${e.type}:${e.name}`));
  };

  test('a bookmark carries the resource version of the change the watch saw live; timeoutSeconds ends it', async () => {
    const list = await core.listNode();
    const w = await bookmarkWatch('/api/v1/nodes', list.metadata?.resourceVersion);
    h.store.create(NODES, nodeObject('bm'));
    const rv = h.store.resourceVersion();
    const events = await ended(w);
    expect(events[0]).toBe('ADDED:bm');
    expect(new Set(events.slice(1))).toEqual(new Set([`BOOKMARK@${rv}`]));
  });

  test('a quiet watch gets no bookmark, nor does one that replayed the last change', async () => {
    const list = await core.listNode();
    expect(await ended(await bookmarkWatch('/api/v1/nodes', list.metadata?.resourceVersion))).toEqual([]);
    h.store.create(NODES, nodeObject('replayed'));
    expect(await ended(await bookmarkWatch('/api/v1/nodes', list.metadata?.resourceVersion))).toEqual([
      'ADDED:replayed',
    ]);
  });

  test('a change the watch does not select still brings a bookmark; events never get one', async () => {
    const list = await core.listNode();
    const w = await bookmarkWatch('/api/v1/nodes', list.metadata?.resourceVersion, {
      fieldSelector: 'metadata.name=nothing',
    });
    h.store.create(NODES, nodeObject('unselected'));
    expect(new Set(await ended(w))).toEqual(new Set([`BOOKMARK@${h.store.resourceVersion()}`]));

    const events = await bookmarkWatch('/api/v1/namespaces/default/events', h.store.resourceVersion());
    await core.createNamespacedEvent({
      namespace: 'default',
      body: { metadata: { name: 'e' }, involvedObject: { kind: 'Node', name: 'a' }, reason: 'BackOff' },
    });
    expect(await ended(events)).toEqual(['ADDED:e']);
  });

  test('a watch from the current state ends its initial events with an initial-events-end bookmark', async () => {
    await core.createNode({ body: nodeObject('now') as V1Node });
    const rv = h.store.resourceVersion();
    const w = await bookmarkWatch('/api/v1/nodes', undefined);
    expect(await ended(w)).toEqual(['ADDED:now', `BOOKMARK@${rv}`]);
  });

  test('a watch on one object by name (fieldSelector metadata.name)', async () => {
    await core.createNode({ body: nodeObject('one') as V1Node });
    await core.createNode({ body: nodeObject('two') as V1Node });
    const list = await core.listNode();
    const w = await openWatch(h, '/api/v1/nodes', {
      resourceVersion: list.metadata?.resourceVersion,
      fieldSelector: 'metadata.name=two',
    });
    await eventually(() => h.server.faults.activeWatches() === 1);
    h.store.patch(NODES, undefined, 'one', 'merge', { metadata: { labels: { a: '1' } } });
    h.store.patch(NODES, undefined, 'two', 'merge', { metadata: { labels: { a: '1' } } });
    await eventually(() => w.events.length === 1);
    expect(w.events[0]).toMatchObject({ type: 'MODIFIED', name: 'two' });
    w.controller.abort();
  });

  test('informer: after a dropped watch answered 410 it relists and converges on the store', async () => {
    await core.createNode({ body: nodeObject('i-a') as V1Node });
    await core.createNode({ body: nodeObject('i-b') as V1Node });
    const informer = makeInformer(h.kc, '/api/v1/nodes', () => core.listNode());
    const errors: unknown[] = [];
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    await eventually(() => informer.list().length === 2 && h.server.faults.activeWatches() === 1);
    expect(h.server.requests.total({ verb: 'list', resource: 'nodes' })).toBe(1);

    h.server.faults.forceGoneOnNextWatch({ resource: 'nodes' });
    h.server.faults.add({ verb: 'list', resource: 'nodes', latencyMs: 100, remaining: 1 });
    h.server.faults.dropActiveWatches({ resource: 'nodes' });
    h.store.delete(NODES, undefined, 'i-a');
    h.store.create(NODES, nodeObject('i-c'));

    await eventually(() => h.server.requests.total({ verb: 'list', resource: 'nodes' }) === 2);
    await eventually(
      () =>
        informer
          .list()
          .map((n) => n.metadata?.name)
          .sort()
          .join() === 'i-b,i-c',
    );
    h.store.create(NODES, nodeObject('i-d'));
    await eventually(() => informer.list().length === 3);
    expect(h.server.requests.total({ verb: 'watch', resource: 'nodes' })).toBeGreaterThanOrEqual(2);
    expect(errors).toEqual([]);
    await informer.stop();
  });
});
