import { Informer } from '../../src/kube/informer.js';
import type { NextAction, WatchEnd } from '../../src/kube/watch-outcome.js';
import { FakeClock } from '../controller/fake-clock.js';
import { obj, ScriptedApi, type Obj } from './scripted-api.js';

/**
 * The informer's watch deadline and restart accounting on a fake clock, against a scripted API server: every
 * watch asks for a timeout; the server ending it then is healthy however quiet it was, and only a watch still
 * open at timeout + grace is taken for a dead connection.
 */

const TIMEOUT_S = 60;
const GRACE_MS = 5_000;

/** Lets the informer's promise chains run (no time passes on the fake clock). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('Informer watch deadline (fake clock)', () => {
  let informer: Informer<Obj> | undefined;
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
  });

  const start = async (api: ScriptedApi, clock: FakeClock) => {
    const ends: { end: WatchEnd; action: NextAction }[] = [];
    informer = new Informer<Obj>({
      rest: api.rest,
      path: '/api/v1/namespaces/quiet/events',
      transform: (raw) => raw as Obj,
      watchTimeoutSeconds: TIMEOUT_S,
      watchGraceMs: GRACE_MS,
      backoffInitialMs: 200,
      backoffMaxMs: 200,
      random: () => 0,
      clock,
      onWatchEnd: (end, action) => ends.push({ end, action }),
    });
    informer.start();
    await api.list('10', [obj('a', '5')]);
    await informer.waitForSync();
    return { inf: informer, ends };
  };

  it('resumes a quiet watch the server closed at its timeout, from the same resourceVersion, uncounted', async () => {
    const api = new ScriptedApi();
    const clock = new FakeClock();
    const { inf, ends } = await start(api, clock);
    // Ten quiet periods in a row: more than the stalled-watch relist threshold.
    for (let period = 0; period < 10; period++) {
      const watch = await api.watch();
      expect(watch.from).toBe('10');
      expect(watch.timeoutSeconds).toBe(TIMEOUT_S);
      clock.advance(TIMEOUT_S * 1000);
      watch.stream.end();
    }
    await api.watchRequested();
    expect(ends).toHaveLength(10);
    expect(ends.every((e) => e.end.kind === 'closed' && e.end.onTime && !e.action.restart)).toBe(true);
    expect(inf.restarts()).toBe(0);
    expect(api.pending()).toEqual({ lists: 0, watches: 1 });
  });

  it('takes a watch still open at its timeout plus the grace for dead, and re-opens it from where it was', async () => {
    const api = new ScriptedApi();
    const clock = new FakeClock();
    const { inf, ends } = await start(api, clock);
    const first = await api.watch();
    first.stream.send('ADDED', obj('b', '11'));
    await settle();
    expect(inf.get('b')).toBeDefined();
    // Silent from here on, but within its deadline: nothing happens.
    clock.advance(TIMEOUT_S * 1000 + GRACE_MS - 1);
    await settle();
    expect(api.pending().watches).toBe(0);
    expect(inf.restarts()).toBe(0);
    clock.advance(1);
    const second = await api.watch();
    expect(second.from).toBe('11');
    expect(ends.map((e) => e.end.kind)).toEqual(['overdue']);
    expect(inf.restarts()).toBe(1);
  });

  it('abandons a watch request the server never answers, at the same deadline', async () => {
    const api = new ScriptedApi();
    const clock = new FakeClock();
    const { inf } = await start(api, clock);
    const query = await api.watchRequested();
    expect(query.timeoutSeconds).toBe(TIMEOUT_S);
    clock.advance(TIMEOUT_S * 1000 + GRACE_MS);
    const retry = await api.watch();
    expect(retry.from).toBe('10');
    expect(inf.restarts()).toBe(1);
  });

  it('resumes from the last bookmark', async () => {
    const api = new ScriptedApi();
    const clock = new FakeClock();
    const { inf } = await start(api, clock);
    const first = await api.watch();
    first.stream.send('BOOKMARK', { metadata: { resourceVersion: '42' } });
    await settle();
    expect(inf.lastResourceVersion()).toBe('42');
    clock.advance(TIMEOUT_S * 1000);
    first.stream.end();
    expect((await api.watch()).from).toBe('42');
    expect(inf.restarts()).toBe(0);
  });

  it('backs off after an early close that delivered nothing, and counts it', async () => {
    const api = new ScriptedApi();
    const clock = new FakeClock();
    const { inf, ends } = await start(api, clock);
    const first = await api.watch();
    clock.advance(800);
    first.stream.end();
    await settle();
    expect(ends.map((e) => e.end)).toEqual([{ kind: 'closed', delivered: false, onTime: false }]);
    expect(inf.restarts()).toBe(1);
    // The back-off (100 ms with this jitter) runs on the same clock.
    expect(api.pending().watches).toBe(0);
    clock.advance(100);
    expect((await api.watch()).from).toBe('10');
  });

  it('relists after watches in a row that break before delivering anything', async () => {
    const api = new ScriptedApi();
    const clock = new FakeClock();
    const { inf } = await start(api, clock);
    for (let i = 0; i < 3; i++) {
      const watch = await api.watch();
      watch.stream.break();
      await settle();
      clock.advance(200);
    }
    await api.list('30', [obj('a', '5'), obj('c', '25')]);
    await settle();
    expect(inf.get('c')).toBeDefined();
    expect((await api.watch()).from).toBe('30');
  });
});
