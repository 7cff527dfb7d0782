/**
 * The product Informer (src/kube/informer.ts, over the product's KubeRest) against the real kube-apiserver and
 * etcd, with etcd compacted every few seconds: paged sync, add/update/delete, bookmarks where the server sends
 * them, 410 after compaction without losing an event, quiet watches resumed at their timeout (never restarted),
 * a dead connection noticed at the watch's deadline. Every wait is for something to happen (an informer
 * event, a watch ending, etcd compacting); watch timeouts are a few seconds so nothing waits long.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { isGone } from '../../src/kube/errors.js';
import { Informer, type Cached, type InformerEvent, type InformerOptions } from '../../src/kube/informer.js';
import { MERGE_PATCH, KubeRest } from '../../src/kube/rest.js';
import type { NextAction, WatchEnd } from '../../src/kube/watch-outcome.js';
import { check } from '../kit/check.js';
import { eventually } from '../kit/eventually.js';
import { TcpProxy } from '../kube/tcp-proxy.js';

interface Item extends Cached {
  data?: Record<string, string>;
}

const trim = (raw: unknown): Item => {
  const r = raw as { metadata: Cached['metadata']; data?: Record<string, string> };
  const { name, namespace, resourceVersion } = r.metadata;
  return { metadata: { name, namespace, resourceVersion }, ...(r.data ? { data: r.data } : {}) };
};

/** One informer under test and what it did: handler events, watch ends, list pages it requested. */
interface Watched {
  inf: Informer<Item>;
  events: InformerEvent<Item>[];
  ends: { end: WatchEnd; action: NextAction }[];
  listPages: () => number;
  names: () => string[];
}

/** Whether etcd has compacted away `rv` (a list at exactly that revision is 410 Gone). */
async function compactedPast(rest: KubeRest, path: string, rv: string): Promise<boolean> {
  try {
    await rest.get(path, { resourceVersion: rv, resourceVersionMatch: 'Exact', limit: 1 });
    return false;
  } catch (err) {
    if (isGone(err)) return true;
    throw err;
  }
}

describe('the Informer against the real kube-apiserver', () => {
  let cp: ControlPlane;
  let admin: KubeRest;
  const informers: Informer<Item>[] = [];
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    // Compaction every 5 s: etcd forgets a revision 5-10 s after it was current.
    cp = await startControlPlane({ controllers: false, etcdCompactionInterval: '5s' });
    const kc = new KubeConfig();
    kc.loadFromFile(cp.adminKubeconfig);
    admin = new KubeRest(kc);
  }, 120_000);
  afterEach(async () => {
    for (const inf of informers.splice(0)) await inf.stop();
    for (const proxy of proxies.splice(0)) await proxy.close();
  });
  afterAll(() => cp?.stop());

  const namespace = async (name: string) => {
    await admin.create('/api/v1/namespaces', { metadata: { name } });
  };

  /** The product's KubeRest for the admin user, straight to the apiserver or through `proxy`. */
  const restFor = (proxy?: TcpProxy): KubeRest => {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.adminKubeconfig);
    if (!proxy) return new KubeRest(kc);
    const cluster = kc.getCurrentCluster()!;
    kc.loadFromOptions({
      clusters: [{ ...cluster, server: proxy.url() }],
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    return new KubeRest(kc);
  };

  const watch = async (
    path: string,
    options: Partial<InformerOptions<Item>> & { proxy?: TcpProxy } = {},
  ): Promise<Watched> => {
    const { proxy, ...rest } = options;
    const client = restFor(proxy);
    let pages = 0;
    client.onResponse = (verb) => {
      if (verb === 'get') pages++;
    };
    const events: InformerEvent<Item>[] = [];
    const ends: { end: WatchEnd; action: NextAction }[] = [];
    const inf = new Informer<Item>({
      rest: client,
      path,
      transform: trim,
      backoffInitialMs: 50,
      backoffMaxMs: 500,
      onWatchEnd: (end, action) => ends.push({ end, action }),
      ...rest,
    });
    inf.on((e) => events.push(e));
    informers.push(inf);
    inf.start();
    await inf.waitForSync();
    const names = () =>
      inf
        .list()
        .map((o) => o.metadata.name)
        .sort();
    return { inf, events, ends, listPages: () => pages, names };
  };

  const seen = (w: Watched, type: InformerEvent<Item>['type'], name: string) =>
    w.events.some((e) => e.type === type && e.object.metadata.name === name);

  const configMap = (ns: string, name: string, data: Record<string, string> = {}) =>
    admin.create(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data });

  const event = (ns: string, name: string) =>
    admin.create(`/api/v1/namespaces/${ns}/events`, {
      metadata: { name },
      involvedObject: { kind: 'Pod', name: 'azure-npm-x', namespace: ns },
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      type: 'Warning',
    });

  it('syncs in pages, then sees adds, updates and deletes', async () => {
    await namespace('paging');
    for (let i = 0; i < 25; i++) await configMap('paging', `cm-${i}`, { i: String(i) });
    const w = await watch('/api/v1/namespaces/paging/configmaps', { pageSize: 10 });
    check('25 objects in pages of 10: three list requests', () => expect(w.listPages()).toBe(3));
    // kube-root-ca.crt is published by kube-controller-manager, which this control plane does not run.
    expect(w.names()).toHaveLength(25);
    expect(w.inf.get('paging/cm-7')?.data).toEqual({ i: '7' });

    await configMap('paging', 'late');
    await admin.patch('/api/v1/namespaces/paging/configmaps/cm-1', MERGE_PATCH, { data: { i: 'one' } });
    await admin.delete('/api/v1/namespaces/paging/configmaps/cm-2');
    await eventually(
      () => seen(w, 'add', 'late') && seen(w, 'update', 'cm-1') && seen(w, 'delete', 'cm-2'),
      'the add, the update and the delete',
    );
    expect(w.inf.get('paging/cm-1')?.data).toEqual({ i: 'one' });
    expect(w.inf.get('paging/cm-2')).toBeUndefined();
    check('no restart', () => expect(w.inf.restarts()).toBe(0));
    check('no relist', () => expect(w.listPages()).toBe(3));
  });

  it('resumes a quiet watch the server ends at its timeout: never restarted, never relisted', async () => {
    await namespace('quiet');
    const w = await watch('/api/v1/namespaces/quiet/configmaps', { watchTimeoutSeconds: 2, random: () => 0 });
    // More quiet periods than the stalled-watch relist threshold.
    await eventually(() => w.ends.length >= 4, 'four watches ended by the server', 60_000);
    for (const { end, action } of w.ends) {
      check(`each quiet watch closed at its timeout (${JSON.stringify(end)})`, () =>
        expect(end).toMatchObject({ kind: 'closed', onTime: true }),
      );
      expect(action).toEqual({ relist: false, backoff: false, restart: false });
    }
    check('no restart', () => expect(w.inf.restarts()).toBe(0));
    check('one list: the first', () => expect(w.listPages()).toBe(1));
    await configMap('quiet', 'after');
    await eventually(() => seen(w, 'add', 'after'), 'a change after the quiet periods');
  });

  it('moves its resourceVersion with the bookmarks the server sends', async () => {
    await namespace('marked');
    await namespace('busy');
    // A watch served from the watch cache gets a bookmark 2 s before its timeout once the cache has moved past
    // the watch's resourceVersion: changes to configmaps elsewhere move it.
    const w = await watch('/api/v1/namespaces/marked/configmaps', {
      watchTimeoutSeconds: 5,
      random: () => 0,
    });
    const listed = BigInt(w.inf.lastResourceVersion());
    let n = 0;
    const bookmarked = await eventually(async () => {
      if (n++ % 8 === 0) await configMap('busy', `b-${n}`);
      return BigInt(w.inf.lastResourceVersion()) > listed;
    }, 'a bookmark past the list resourceVersion');
    expect(bookmarked).toBe(true);
    check('nothing in the watched namespace changed', () => expect(w.events).toHaveLength(0));
    check('no restart', () => expect(w.inf.restarts()).toBe(0));
  });

  it('keeps a quiet events watch (no watch cache, no bookmarks) across compactions while it stays open', async () => {
    await namespace('ev-open');
    const path = '/api/v1/namespaces/ev-open/events';
    const w = await watch(path, { fieldSelector: 'reason=BackOff', watchTimeoutSeconds: 600 });
    const from = w.inf.lastResourceVersion();
    await eventually(() => compactedPast(admin, path, from), 'etcd compacted past the watch', 60_000);
    // Re-opened from `from` now, the watch would be 410; open, it still delivers.
    await event('ev-open', 'after-compaction');
    await eventually(() => seen(w, 'add', 'after-compaction'), 'the event, on the open watch');
    check('no watch ended', () => expect(w.ends).toHaveLength(0));
    check('no relist', () => expect(w.listPages()).toBe(1));
  });

  it('relists after a 410 Gone from compaction and loses nothing written meanwhile', async () => {
    await namespace('ev-gap');
    const path = '/api/v1/namespaces/ev-gap/events';
    await event('ev-gap', 'before');
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(cp.server).port) });
    proxies.push(proxy);
    const w = await watch(path, {
      proxy,
      fieldSelector: 'reason=BackOff',
      watchTimeoutSeconds: 5,
      watchGraceMs: 1_000,
      random: () => 0,
    });
    expect(w.names()).toEqual(['before']);
    const from = w.inf.lastResourceVersion();
    // The informer is cut off: what happens now, only a relist can tell it.
    proxy.hold();
    await event('ev-gap', 'during');
    await admin.delete(`${path}/before`);
    await eventually(() => compactedPast(admin, path, from), 'etcd compacted past the informer', 60_000);
    proxy.release();
    // The dead watch reaches its deadline; the next one, from `from`, is answered 410.
    await eventually(() => w.ends.some((e) => e.end.kind === 'gone'), 'a 410 Gone', 60_000);
    await eventually(() => w.names().join() === 'during', 'the cache as the server has it');
    check('the add and the delete reached the handlers', () => {
      expect(seen(w, 'add', 'during')).toBe(true);
      expect(seen(w, 'delete', 'before')).toBe(true);
    });
    const kinds = w.ends.map((e) => e.end.kind);
    check(`the dead watches ended at their deadline, then 410 (${kinds.join(', ')})`, () => {
      const gone = kinds.indexOf('gone');
      expect(gone).toBeGreaterThan(0);
      expect(new Set(kinds.slice(0, gone))).toEqual(new Set(['overdue']));
    });
    check('one relist', () => expect(w.listPages()).toBe(2));
  });

  it('notices a dead connection at the watch deadline and resumes without losing anything', async () => {
    await namespace('dead');
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(cp.server).port) });
    proxies.push(proxy);
    const w = await watch('/api/v1/namespaces/dead/configmaps', {
      proxy,
      watchTimeoutSeconds: 2,
      watchGraceMs: 1_000,
      random: () => 0,
    });
    // The watch goes dead (half-open) whether it had connected yet or not; the server ends nothing it can see.
    proxy.hold();
    await configMap('dead', 'while-dead');
    await eventually(() => w.ends.length > 0, 'the dead watch to end', 30_000);
    check('it ended at its deadline', () => expect(w.ends[0]!.end).toEqual({ kind: 'overdue' }));
    expect(seen(w, 'add', 'while-dead')).toBe(false);
    proxy.release();
    await eventually(() => seen(w, 'add', 'while-dead'), 'the change, from the re-opened watch');
    // The watch re-opened before the release may have gone dead too.
    const overdue = w.ends.filter((e) => e.end.kind === 'overdue').length;
    check(`only deadlines ended watches (${w.ends.map((e) => e.end.kind).join(', ')})`, () =>
      expect(w.ends.every((e) => e.end.kind === 'overdue' || e.end.kind === 'closed')).toBe(true),
    );
    check('a restart per dead watch', () => expect(w.inf.restarts()).toBe(overdue));
    check('no relist', () => expect(w.listPages()).toBe(1));
  });
});
