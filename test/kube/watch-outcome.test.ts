import { Backoff } from '../../src/kube/backoff.js';
import {
  closedOnTime,
  nextAction,
  ON_TIME_TOLERANCE_MS,
  RELIST_AFTER_STALLED_WATCHES,
  stalledAfter,
  watchDeadlineMs,
  watchTimeoutSeconds,
  type WatchEnd,
} from '../../src/kube/watch-outcome.js';

const resume = { relist: false, backoff: false, restart: false };

describe('informer restart rules', () => {
  it('relists at once on 410', () => {
    expect(nextAction({ kind: 'gone' })).toEqual({ relist: true, backoff: false, restart: true });
  });
  it('resumes at once after a normal server-side close that delivered something', () => {
    expect(nextAction({ kind: 'closed', delivered: true, onTime: false })).toEqual(resume);
    expect(nextAction({ kind: 'closed', delivered: true, onTime: true })).toEqual(resume);
  });
  it('resumes at once, and counts nothing, when the server closes a quiet watch at its timeout', () => {
    // A real kube-apiserver sends no bookmark on events, nor on a quiet watch before its cache moves.
    expect(nextAction({ kind: 'closed', delivered: false, onTime: true })).toEqual(resume);
  });
  it('backs off after a stream that closed early without delivering anything (never spins)', () => {
    expect(nextAction({ kind: 'closed', delivered: false, onTime: false })).toEqual({
      relist: false,
      backoff: true,
      restart: true,
    });
  });
  it('backs off and resumes on 5xx, 429 and network errors', () => {
    for (const code of [500, 503, 429, undefined]) {
      expect(nextAction({ kind: 'error', code })).toEqual({ relist: false, backoff: true, restart: true });
    }
  });
  it('relists after other client errors', () => {
    expect(nextAction({ kind: 'error', code: 400 })).toMatchObject({ relist: true, backoff: true });
  });
  it('re-opens an overdue watch (a dead connection) at once, from where it was', () => {
    expect(nextAction({ kind: 'overdue' })).toEqual({ relist: false, backoff: false, restart: true });
  });
  it('relists after watches in a row that delivered nothing, instead of resuming from the same place again', () => {
    const stalled = RELIST_AFTER_STALLED_WATCHES;
    const ends: WatchEnd[] = [
      { kind: 'error', code: 500 },
      { kind: 'error' },
      { kind: 'overdue' },
      { kind: 'closed', delivered: false, onTime: false },
    ];
    for (const end of ends) {
      expect(nextAction(end, stalled - 1).relist).toBe(false);
      expect(nextAction(end, stalled)).toEqual({ ...nextAction(end), relist: true });
    }
  });
});

describe('what counts as a stalled watch', () => {
  const quietOnTime: WatchEnd = { kind: 'closed', delivered: false, onTime: true };
  it('a quiet watch closed at its timeout is healthy: it never adds up to a relist', () => {
    let stalled = 0;
    for (let i = 0; i < 10 * RELIST_AFTER_STALLED_WATCHES; i++) {
      stalled = stalledAfter(stalled, quietOnTime, false);
      expect(nextAction(quietOnTime, stalled)).toEqual(resume);
    }
  });
  it('watches that end having delivered nothing otherwise add up, and anything delivered resets the count', () => {
    const failures: WatchEnd[] = [
      { kind: 'error', code: 503 },
      { kind: 'overdue' },
      { kind: 'closed', delivered: false, onTime: false },
    ];
    let stalled = 0;
    for (const end of failures) stalled = stalledAfter(stalled, end, false);
    expect(stalled).toBe(3);
    expect(stalledAfter(stalled, { kind: 'error' }, true)).toBe(0);
    expect(stalledAfter(stalled, quietOnTime, false)).toBe(0);
    expect(stalledAfter(stalled, { kind: 'closed', delivered: true, onTime: false }, true)).toBe(0);
  });
});

describe('watch timing', () => {
  it('asks for the base timeout jittered up to twice it, in whole seconds', () => {
    expect(watchTimeoutSeconds(300, () => 0)).toBe(300);
    expect(watchTimeoutSeconds(300, () => 0.5)).toBe(450);
    expect(watchTimeoutSeconds(300, () => 0.999)).toBe(600);
    expect(watchTimeoutSeconds(0.2, () => 0)).toBe(1);
  });
  it('takes a watch for dead only once its own timeout and the grace have passed', () => {
    expect(watchDeadlineMs(450, 30_000)).toBe(480_000);
    expect(watchDeadlineMs(2, 500)).toBe(2_500);
  });
  it('tells a close at the server timeout from an early one, on a fake clock', () => {
    // The client's clock starts before the request leaves; the server's timer after it arrives.
    const requestedAt = 1_000_000;
    const at = (now: number) => closedOnTime(now - requestedAt, 300);
    expect(at(requestedAt + 300_000)).toBe(true);
    expect(at(requestedAt + 301_234)).toBe(true);
    expect(at(requestedAt + 300_000 - ON_TIME_TOLERANCE_MS)).toBe(true);
    expect(at(requestedAt + 300_000 - ON_TIME_TOLERANCE_MS - 1)).toBe(false);
    expect(at(requestedAt + 800)).toBe(false);
  });
});

describe('Backoff', () => {
  it('grows exponentially within [d/2, d], caps, and resets', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).toEqual([50, 100, 200, 400, 500]);
    const high = new Backoff(100, 1000, () => 1);
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    high.reset();
    expect(high.next()).toBe(100);
  });
});
