import { Backoff } from '../../src/kube/backoff.js';
import { nextAction, RELIST_AFTER_STALLED_WATCHES } from '../../src/kube/watch-outcome.js';

describe('informer restart rules', () => {
  it('relists at once on 410', () => {
    expect(nextAction({ kind: 'gone' })).toEqual({ relist: true, backoff: false, restart: true });
  });
  it('resumes at once after a normal server-side close that delivered something', () => {
    expect(nextAction({ kind: 'closed', sawEvents: true })).toEqual({
      relist: false,
      backoff: false,
      restart: false,
    });
  });
  it('backs off after a stream that closed without delivering anything (never spins)', () => {
    expect(nextAction({ kind: 'closed', sawEvents: false })).toMatchObject({ backoff: true, restart: true });
  });
  it('backs off and resumes on 5xx, 429 and network errors', () => {
    for (const code of [500, 503, 429, undefined]) {
      expect(nextAction({ kind: 'error', code })).toEqual({ relist: false, backoff: true, restart: true });
    }
  });
  it('relists after other client errors', () => {
    expect(nextAction({ kind: 'error', code: 400 })).toMatchObject({ relist: true, backoff: true });
  });
  it('restarts a silent watch without back-off', () => {
    expect(nextAction({ kind: 'silent' })).toEqual({ relist: false, backoff: false, restart: true });
  });
  it('relists after watches in a row that delivered nothing, instead of resuming from the same place again', () => {
    const stalled = RELIST_AFTER_STALLED_WATCHES;
    const ends = [
      { kind: 'error', code: 500 },
      { kind: 'error' },
      { kind: 'silent' },
      { kind: 'closed', sawEvents: false },
    ] as const;
    for (const end of ends) {
      expect(nextAction(end, stalled - 1).relist).toBe(false);
      expect(nextAction(end, stalled)).toEqual({ ...nextAction(end), relist: true });
    }
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
