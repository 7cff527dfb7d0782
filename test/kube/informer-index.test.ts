import { Informer } from '../../src/kube/informer.js';
import { ScriptedApi, type Obj, type ScriptedStream } from './scripted-api.js';

/** The informer's own indexes and version: kept by list, watch and read-your-writes alike. */

interface OnNode extends Obj {
  node?: string;
}
const on = (name: string, rv: string, node?: string, v = ''): OnNode => ({
  metadata: { name, resourceVersion: rv },
  v,
  ...(node ? { node } : {}),
});

describe('Informer: indexes and announcements', () => {
  let informer: Informer<OnNode> | undefined;
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
  });

  const start = (api: ScriptedApi, quietUpdate?: (a: OnNode, b: OnNode) => boolean) => {
    informer = new Informer<OnNode>({
      rest: api.rest,
      path: '/api/v1/pods',
      transform: (raw) => raw as OnNode,
      backoffInitialMs: 1,
      backoffMaxMs: 1,
      random: () => 0,
      ...(quietUpdate ? { quietUpdate } : {}),
    });
    informer.addIndex('node', (o) => o.node);
    informer.start();
    return informer;
  };

  const drained = async (stream: ScriptedStream, inf: Informer<OnNode>, rv: string) => {
    const probe = on(`probe-${rv}`, rv);
    stream.send('ADDED', probe);
    while (!inf.get(probe.metadata.name)) await new Promise((r) => setImmediate(r));
  };
  const names = (objs: OnNode[]) => objs.map((o) => o.metadata.name).sort();

  it('indexes what the list, the watch and upsert put in the cache, and forgets what they remove', async () => {
    const api = new ScriptedApi();
    const inf = start(api);
    await api.list('10', [on('a', '5', 'n1'), on('b', '6', 'n2'), on('c', '7')]);
    await inf.waitForSync();
    expect(names(inf.byIndex('node', 'n1'))).toEqual(['a']);
    expect(inf.indexValues('node').sort()).toEqual(['n1', 'n2']);

    const { stream } = await api.watch();
    stream.send('MODIFIED', on('a', '11', 'n2'));
    stream.send('DELETED', on('b', '12', 'n2'));
    await drained(stream, inf, '13');
    expect(inf.byIndex('node', 'n1')).toEqual([]);
    expect(names(inf.byIndex('node', 'n2'))).toEqual(['a']);

    // Read-your-writes: the index follows the cache before the watch event arrives.
    expect(inf.upsert(on('c', '14', 'n3'))).toBe(true);
    expect(names(inf.byIndex('node', 'n3'))).toEqual(['c']);
    expect(inf.indexValues('node').sort()).toEqual(['n2', 'n3']);

    // A relist that drops an object drops it from the index too.
    stream.send('ERROR', { code: 410 });
    await api.list('20', [on('c', '14', 'n3')]);
    while (inf.get('a')) await new Promise((r) => setImmediate(r));
    expect(inf.indexValues('node')).toEqual(['n3']);
  });

  it('an index added after the sync covers what the cache already holds', async () => {
    const api = new ScriptedApi();
    const inf = start(api);
    await api.list('10', [on('a', '5', 'n1')]);
    await inf.waitForSync();
    inf.addIndex('v', (o) => o.v || undefined);
    inf.upsert(on('a', '6', 'n1', 'x'));
    expect(names(inf.byIndex('v', 'x'))).toEqual(['a']);
    expect(() => inf.byIndex('nope', 'x')).toThrow(/no index nope/);
  });

  it('a quiet update is stored and indexed but not announced; a real change is', async () => {
    const api = new ScriptedApi();
    const inf = start(api, (a, b) => a.v === b.v && a.node === b.node);
    await api.list('10', [on('a', '5', 'n1')]);
    await inf.waitForSync();

    const events: string[] = [];
    inf.on((e) => events.push(`${e.type} ${e.object.metadata.name}`));
    // Only the resourceVersion changed: stored, indexed, not announced.
    expect(inf.upsert(on('a', '6', 'n1'))).toBe(true);
    expect(inf.get('a')?.metadata.resourceVersion).toBe('6');
    expect(events).toEqual([]);

    expect(inf.upsert(on('a', '7', 'n2', 'changed'))).toBe(true);
    expect(names(inf.byIndex('node', 'n2'))).toEqual(['a']);
    expect(events).toEqual(['update a']);
  });
});
