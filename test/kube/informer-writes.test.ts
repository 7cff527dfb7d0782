import { Informer, type InformerEvent } from '../../src/kube/informer.js';
import { obj, ScriptedApi, type Obj, type ScriptedStream } from './scripted-api.js';

/**
 * Read-your-writes against a scripted API server: the test answers every list and watch the informer makes,
 * in the order of the soak failure, so each step is awaited as an event (never a sleep).
 */

describe('Informer: read-your-writes and relists', () => {
  let informer: Informer<Obj> | undefined;
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
  });

  const start = (api: ScriptedApi) => {
    informer = new Informer<Obj>({
      rest: api.rest,
      path: '/apis/chainmedic.io/v1alpha1/noderemediations',
      transform: (raw) => raw as Obj,
      backoffInitialMs: 1,
      backoffMaxMs: 1,
      random: () => 0,
    });
    const events: InformerEvent<Obj>[] = [];
    // What a handler keeps (the operator's node index): every change it was told about.
    const index = new Map<string, string | undefined>();
    informer.on((e) => {
      events.push(e);
      if (e.type === 'delete') index.delete(e.object.metadata.name);
      else index.set(e.object.metadata.name, e.object.metadata.resourceVersion);
    });
    informer.start();
    return { informer, events, index };
  };

  /** Waits until a bookmark sent after everything else has been read: the stream before it was applied. */
  const drained = async (stream: ScriptedStream, inf: Informer<Obj>, rv: string) => {
    stream.send('BOOKMARK', { metadata: { resourceVersion: rv } });
    const probe = obj(`probe-${rv}`, rv);
    stream.send('ADDED', probe);
    while (!inf.get(probe.metadata.name)) await new Promise((r) => setImmediate(r));
  };

  it('an object written while the watch was down, then relisted after a 410, reaches the handlers once', async () => {
    const api = new ScriptedApi();
    const { informer: inf, events, index } = start(api);
    await api.list('10', []);
    await inf.waitForSync();
    const first = await api.watch();
    expect(first.from).toBe('10');
    first.stream.break();
    // While the watch reconnects, this process creates nr-a; the POST's answer goes into the cache.
    expect(inf.upsert(obj('nr-a', '11'))).toBe(true);
    // The reconnect is too old: relist. The list already holds nr-a, at the version the cache holds.
    await api.watchGone();
    await api.list('12', [obj('nr-a', '11')]);
    const third = await api.watch();
    expect(third.from).toBe('12');
    await drained(third.stream, inf, '13');

    expect(inf.get('nr-a')?.metadata.resourceVersion).toBe('11');
    // The soak's stuck NodeRemediations: the cache held nr-a, the handlers (the node index) never heard of it.
    expect(index.get('nr-a')).toBe('11');
    expect(events.filter((e) => e.object.metadata.name === 'nr-a').map((e) => e.type)).toEqual(['add']);
  });

  it('the watch event of a version already written into the cache is not announced again', async () => {
    const api = new ScriptedApi();
    const { informer: inf, events } = start(api);
    await api.list('10', [obj('nr-a', '9', 'old')]);
    await inf.waitForSync();
    const { stream } = await api.watch();
    expect(inf.upsert(obj('nr-a', '11', 'ours'))).toBe(true);
    // An older write by someone else, then ours, arrive on the watch after our answer.
    stream.send('MODIFIED', obj('nr-a', '10', 'theirs'));
    stream.send('MODIFIED', obj('nr-a', '11', 'ours'));
    await drained(stream, inf, '12');
    expect(inf.get('nr-a')?.v).toBe('ours');
    expect(events.filter((e) => e.object.metadata.name === 'nr-a').map((e) => [e.type, e.object.v])).toEqual([
      ['add', 'old'],
      ['update', 'ours'],
    ]);
    // Stale or repeated answers change nothing.
    expect(inf.upsert(obj('nr-a', '10', 'theirs'))).toBe(false);
    expect(inf.upsert(obj('nr-a', '11', 'ours'))).toBe(false);
  });

  it('a relist taken before our write does not step the cache back; later changes still arrive', async () => {
    const api = new ScriptedApi();
    const { informer: inf, events } = start(api);
    await api.list('5', [obj('nr-a', '5', 'old')]);
    await inf.waitForSync();
    const first = await api.watch();
    expect(inf.upsert(obj('nr-a', '8', 'ours'))).toBe(true);
    first.stream.break();
    await api.watchGone();
    // A list served at resourceVersion 7, before our write at 8.
    await api.list('7', [obj('nr-a', '5', 'old')]);
    const second = await api.watch();
    expect(second.from).toBe('7');
    expect(inf.get('nr-a')?.v).toBe('ours');
    second.stream.send('MODIFIED', obj('nr-a', '8', 'ours'));
    second.stream.send('DELETED', obj('nr-a', '9', 'ours'));
    await drained(second.stream, inf, '10');
    expect(inf.get('nr-a')).toBeUndefined();
    expect(events.filter((e) => e.object.metadata.name === 'nr-a').map((e) => [e.type, e.object.v])).toEqual([
      ['add', 'old'],
      ['update', 'ours'],
      ['delete', 'ours'],
    ]);
  });
});
