import { WorkQueue } from '../../src/controller/work-queue.js';
import { exponentialRateLimiter } from '../../src/controller/rate-limiter.js';
import { runWorkers } from '../../src/controller/workers.js';
import { FakeClock } from './fake-clock.js';

describe('WorkQueue', () => {
  it('de-duplicates a key that is already queued', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('re-queues a key added while it is processed, only after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const key = await q.get();
    expect(key).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // never handed to a second worker while processing
    q.done('a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('hands a key to a waiting worker', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    expect(q.isProcessing('x')).toBe(true);
  });

  it('addAfter delays the add and the earliest deadline wins', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 100);
    q.addAfter('a', 5000);
    expect(clock.pending()).toBe(1);
    clock.advance(99);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    clock.advance(10_000);
    expect(q.len()).toBe(1);
  });

  it('rate-limited retries back off exponentially per key and forget resets them', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: exponentialRateLimiter({ baseMs: 5, maxMs: 40 }) });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = clock.now();
      q.addRateLimited('a');
      for (let t = 0; t < 1000 && q.len() === 0; t++) clock.advance(1);
      delays.push(clock.now() - start);
      q.done((await q.get())!);
    }
    expect(delays).toEqual([5, 10, 20, 40, 40]);
    expect(q.numRequeues('a')).toBe(5);
    expect(q.numRequeues('b')).toBe(0);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('shutDown releases waiting workers and drops delayed adds', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 10);
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    expect(clock.pending()).toBe(0);
    q.add('b');
    expect(q.len()).toBe(0);
  });
});

describe('runWorkers', () => {
  it('never reconciles one key concurrently and retries errors with back-off', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: exponentialRateLimiter({ baseMs: 5, maxMs: 100 }) });
    const active = new Set<string>();
    let overlap = false;
    const calls: string[] = [];
    let failuresLeft = 2;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const handle = runWorkers(q, 4, async (key) => {
      if (active.has(key)) overlap = true;
      active.add(key);
      calls.push(key);
      await gate;
      active.delete(key);
      if (key === 'bad' && failuresLeft-- > 0) throw new Error('boom');
    });
    q.add('n1');
    q.add('bad');
    await Promise.resolve();
    q.add('n1'); // while n1 is processing: marked dirty, not given to another worker
    release();
    for (let i = 0; i < 20 && calls.filter((c) => c === 'bad').length < 3; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(10);
    }
    await new Promise((r) => setImmediate(r));
    q.shutDown();
    await handle.stopped;
    expect(overlap).toBe(false);
    expect(calls.filter((c) => c === 'n1')).toHaveLength(2);
    expect(calls.filter((c) => c === 'bad')).toHaveLength(3);
    expect(q.numRequeues('bad')).toBe(0); // forgotten after the final success
  });

  it('honours requeueAfterMs', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    let count = 0;
    const handle = runWorkers(q, 1, async () => {
      count++;
      return { requeueAfterMs: 1000 };
    });
    q.add('a');
    await new Promise((r) => setImmediate(r));
    expect(count).toBe(1);
    clock.advance(999);
    await new Promise((r) => setImmediate(r));
    expect(count).toBe(1);
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    expect(count).toBe(2);
    q.shutDown();
    await handle.stopped;
  });
});
