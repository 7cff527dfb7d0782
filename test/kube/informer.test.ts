import { NODES } from '../../tools/sim/api/index.js';
import { Informer, type Cached, type InformerEvent } from '../../src/kube/informer.js';
import type { WatchEnd } from '../../src/kube/watch-outcome.js';
import { eventually } from '../kit/eventually.js';
import { nodeObject as node, startSimApi, type SimApi } from '../kit/sim-api.js';

interface TrimmedNode extends Cached {
  labels: Record<string, string>;
}

const trimNode = (raw: unknown): TrimmedNode => {
  const r = raw as { metadata: Cached['metadata'] & { labels?: Record<string, string> } };
  return {
    metadata: { name: r.metadata.name, resourceVersion: r.metadata.resourceVersion },
    labels: r.metadata.labels ?? {},
  };
};

describe('Informer against the simulated API server', () => {
  let sim: SimApi;
  let informer: Informer<TrimmedNode> | undefined;
  beforeEach(async () => {
    sim = await startSimApi();
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await sim.close();
  });

  const start = (extra: Partial<ConstructorParameters<typeof Informer<TrimmedNode>>[0]> = {}) => {
    informer = new Informer<TrimmedNode>({
      rest: sim.client.rest,
      path: '/api/v1/nodes',
      transform: trimNode,
      backoffInitialMs: 10,
      backoffMaxMs: 100,
      ...extra,
    });
    informer.start();
    return informer;
  };

  it('lists in pages, keeps only the transformed fields, then follows changes', async () => {
    for (let i = 0; i < 23; i++) sim.store.create(NODES, node(`n${i}`, { big: 'x'.repeat(100) }));
    const events: InformerEvent<TrimmedNode>[] = [];
    const inf = start({ pageSize: 5 });
    inf.on((e) => events.push(e));
    await inf.waitForSync();
    expect(inf.list()).toHaveLength(23);
    expect(Object.keys(inf.get('n3')!)).toEqual(['metadata', 'labels']);
    const lists = sim.server.requests.recent().filter((r) => r.verb === 'list' && r.resource === 'nodes');
    expect(lists.length).toBe(5); // 23 objects in pages of 5
    expect(lists.every((r) => r.path.includes('limit=5'))).toBe(true);

    sim.store.create(NODES, node('late'));
    sim.store.patch(NODES, undefined, 'n1', 'merge', { metadata: { labels: { changed: 'yes' } } });
    sim.store.delete(NODES, undefined, 'n2');
    await eventually(() => inf.get('late') !== undefined && inf.get('n2') === undefined, 'watch events');
    await eventually(() => inf.get('n1')?.labels.changed === 'yes', 'update');
    expect(events.filter((e) => e.type === 'add').map((e) => e.object.metadata.name)).toContain('late');
    expect(events.some((e) => e.type === 'delete' && e.object.metadata.name === 'n2')).toBe(true);
    expect(inf.restarts()).toBe(0);
  });

  it('relists on 410 Gone and emits what changed meanwhile', async () => {
    sim.store.create(NODES, node('a'));
    const inf = start();
    await inf.waitForSync();
    await eventually(() => sim.server.faults.activeWatches({ resource: 'nodes' }) === 1, 'watch open');
    sim.server.faults.forceGoneOnNextWatch({ resource: 'nodes' });
    sim.server.faults.dropActiveWatches({ resource: 'nodes' });
    sim.store.create(NODES, node('b'));
    await eventually(() => inf.get('b') !== undefined, 'node b after relist');
    await eventually(
      () =>
        sim.server.requests.recent().filter((r) => r.verb === 'list' && r.resource === 'nodes').length >= 2,
      'a second list',
    );
    expect(inf.restarts()).toBeGreaterThan(0);
  });

  it('survives dropped streams and 500s without losing a change', async () => {
    const inf = start();
    await inf.waitForSync();
    await eventually(() => sim.server.faults.activeWatches({ resource: 'nodes' }) === 1, 'watch open');
    sim.server.faults.dropActiveWatches({ resource: 'nodes' }, true);
    sim.server.faults.add({ verb: 'watch', resource: 'nodes', dropWatchAfterEvents: 1 });
    sim.server.faults.add({ verb: 'watch', resource: 'nodes', errorRate: 0.5, errorCode: 500 });
    sim.server.faults.add({
      verb: 'list',
      resource: 'nodes',
      errorRate: 0.5,
      errorCode: 503,
      retryAfterSeconds: 1,
    });
    for (let i = 0; i < 30; i++) sim.store.create(NODES, node(`x${i}`));
    for (let i = 0; i < 30; i += 3) sim.store.delete(NODES, undefined, `x${i}`);
    const expected = Array.from({ length: 30 }, (_, i) => `x${i}`)
      .filter((_, i) => i % 3 !== 0)
      .sort()
      .join(',');
    const cached = () =>
      inf
        .list()
        .map((n) => n.metadata.name)
        .sort()
        .join(',');
    await eventually(() => cached() === expected, 'the cache holds exactly the 20 remaining nodes');
    expect(inf.restarts()).toBeGreaterThan(0);
  });

  it('relists when watches in a row deliver nothing, so a watch that cannot get going does not freeze the cache', async () => {
    const inf = start();
    await inf.waitForSync();
    await eventually(() => sim.server.faults.activeWatches({ resource: 'nodes' }) === 1, 'watch open');
    // Every watch from now on fails before its first event; lists still work.
    sim.server.faults.add({ verb: 'watch', resource: 'nodes', errorRate: 1, errorCode: 500 });
    sim.server.faults.dropActiveWatches({ resource: 'nodes' }, true);
    sim.store.create(NODES, node('while-watches-fail'));
    await eventually(() => inf.get('while-watches-fail') !== undefined, 'the node, from a relist');
    const lists = sim.server.requests.recent().filter((r) => r.verb === 'list' && r.resource === 'nodes');
    expect(lists.length).toBeGreaterThanOrEqual(2);
    // The dropped watch may already count as one that delivered nothing (a quiet watch gets no bookmark).
    expect(sim.server.requests.total({ verb: 'watch', resource: 'nodes', code: 500 })).toBeGreaterThan(0);
  });

  it('resumes a quiet watch the server closes at its timeout: no restart, no relist, even with no bookmarks', async () => {
    await sim.close();
    sim = await startSimApi({ bookmarkIntervalMs: 0 });
    const quietEnds: WatchEnd[] = [];
    const inf = start({
      watchTimeoutSeconds: 1,
      random: () => 0,
      onWatchEnd: (end) => quietEnds.push(end),
    });
    await inf.waitForSync();
    // More quiet periods than the stalled-watch relist threshold.
    await eventually(() => quietEnds.length >= 4, 'four watches the server ended at their timeout');
    expect(quietEnds.every((e) => e.kind === 'closed' && e.onTime && !e.delivered)).toBe(true);
    expect(inf.restarts()).toBe(0);
    const lists = sim.server.requests.recent().filter((r) => r.verb === 'list' && r.resource === 'nodes');
    expect(lists).toHaveLength(1);
    sim.store.create(NODES, node('after-quiet'));
    await eventually(() => inf.get('after-quiet') !== undefined, 'a change after the quiet periods');
  });

  it('resumes from the last bookmark', async () => {
    const inf = start({ watchTimeoutSeconds: 30, random: () => 0, labelSelector: 'watched=yes' });
    await inf.waitForSync();
    const listed = inf.lastResourceVersion();
    await eventually(() => sim.server.faults.activeWatches({ resource: 'nodes' }) === 1, 'watch open');
    // A change the open watch does not select moves the server's resourceVersion past the watch's: only a
    // bookmark brings it here. (A watch opened after it would replay it, filtered out, and need no bookmark.)
    const other = sim.store.create(NODES, node('not-selected'));
    const moved = other.metadata.resourceVersion!;
    await eventually(() => inf.lastResourceVersion() === moved, 'a bookmark at the new resourceVersion');
    expect(Number(moved)).toBeGreaterThan(Number(listed));
    // The server ends this watch (a clean close); the next one resumes from the bookmark, and ending that one
    // too puts its request in the server's log.
    sim.server.faults.dropActiveWatches({ resource: 'nodes' });
    await eventually(() => sim.server.faults.activeWatches({ resource: 'nodes' }) === 1, 'the next watch');
    expect(inf.restarts()).toBe(0);
    sim.server.faults.dropActiveWatches({ resource: 'nodes' });
    await eventually(
      () =>
        sim.server.requests
          .recent()
          .some((r) => r.verb === 'watch' && r.path.includes(`resourceVersion=${moved}`)),
      'a watch resumed from the bookmark',
    );
    expect(inf.list()).toHaveLength(0);
  });
});

describe('Informer stop', () => {
  it('stops at once even while a list request hangs', async () => {
    const sim = await startSimApi();
    try {
      sim.server.faults.add({ verb: 'list', resource: 'nodes', latencyMs: 20_000 });
      const inf = new Informer<TrimmedNode>({
        rest: sim.client.rest,
        path: '/api/v1/nodes',
        transform: trimNode,
      });
      inf.start();
      await new Promise((r) => setTimeout(r, 100));
      let stopped = false;
      const stopping = inf.stop().then(() => (stopped = true));
      await eventually(() => stopped, 'stop resolved long before the 20 s list would answer', 5_000);
      await stopping;
      expect(inf.hasSynced()).toBe(false);
    } finally {
      await sim.close();
    }
  });
});
