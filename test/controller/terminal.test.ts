import { exponentialRateLimiter } from '../../src/controller/rate-limiter.js';
import { isTerminalError, type TerminalError } from '../../src/controller/terminal.js';
import { WorkQueue } from '../../src/controller/work-queue.js';
import { runWorkers } from '../../src/controller/workers.js';
import { RefusedError } from '../../src/kube/error-class.js';
import { NotActingError } from '../../src/operator/execute.js';
import { FakeClock } from './fake-clock.js';

class Permanent extends Error implements TerminalError {
  readonly terminal = true;
}

describe('isTerminalError', () => {
  it('is true only for errors marked terminal', () => {
    expect(isTerminalError(new Permanent('no'))).toBe(true);
    expect(isTerminalError(new NotActingError())).toBe(true);
    expect(
      isTerminalError(
        new RefusedError('cordon', { kind: 'refused', code: 422, reason: 'Invalid', message: 'm' }),
      ),
    ).toBe(true);
    expect(isTerminalError(new Error('boom'))).toBe(false);
    expect(isTerminalError({ terminal: 'yes' })).toBe(false);
    expect(isTerminalError('boom')).toBe(false);
    expect(isTerminalError(undefined)).toBe(false);
    expect(isTerminalError(null)).toBe(false);
  });
});

describe('runWorkers and terminal errors', () => {
  it('drops a key whose error is terminal, and retries one whose error is not', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: exponentialRateLimiter({ baseMs: 5, maxMs: 100 }) });
    const calls: string[] = [];
    const errors: string[] = [];
    const handle = runWorkers(
      q,
      2,
      async (key) => {
        calls.push(key);
        if (key === 'terminal') throw new Permanent('refused for good');
        if (key === 'transient' && calls.filter((c) => c === key).length === 1) throw new Error('timeout');
      },
      (key) => errors.push(key),
    );
    q.add('terminal');
    q.add('transient');
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(10);
    }
    expect(calls.filter((c) => c === 'terminal')).toHaveLength(1);
    expect(calls.filter((c) => c === 'transient')).toHaveLength(2);
    expect(errors.sort()).toEqual(['terminal', 'transient']);
    expect(q.len()).toBe(0);
    expect(clock.pending()).toBe(0);
    // A terminal key comes back only when something adds it again, with no back-off left over.
    q.add('terminal');
    await new Promise((r) => setImmediate(r));
    expect(calls.filter((c) => c === 'terminal')).toHaveLength(2);
    q.shutDown();
    await handle.stopped;
  });
});
