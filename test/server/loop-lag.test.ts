import { LoopLagMonitor } from '../../src/server/loop-lag.js';

function fakeMonitor() {
  let t = 1_000_000;
  const monitor = new LoopLagMonitor({ intervalMs: 500, thresholdMs: 2_000, windowMs: 10_000, now: () => t });
  return { monitor, advance: (ms: number) => (t += ms), now: () => t };
}

test('ticks on time are healthy', () => {
  const { monitor, advance } = fakeMonitor();
  for (let i = 0; i < 10; i++) monitor.tick(advance(510));
  expect(monitor.status()).toEqual({ healthy: true, lagMs: 10 });
});

test('a late tick makes the process unhealthy for the window, then healthy again', () => {
  const { monitor, advance } = fakeMonitor();
  monitor.tick(advance(500 + 3_000));
  const stalled = monitor.status();
  expect(stalled.healthy).toBe(false);
  expect(stalled.lagMs).toBe(3_000);
  expect(stalled.reason).toContain('event loop blocked for 3000 ms');
  for (let i = 0; i < 19; i++) monitor.tick(advance(500));
  expect(monitor.status().healthy).toBe(false);
  for (let i = 0; i < 2; i++) monitor.tick(advance(500));
  expect(monitor.status().healthy).toBe(true);
});

test('a tick that is overdue right now counts (the loop is blocked while we ask)', () => {
  const { monitor, advance } = fakeMonitor();
  monitor.tick(advance(500));
  advance(500 + 2_500);
  const status = monitor.status();
  expect(status).toMatchObject({ healthy: false, lagMs: 2_500 });
});

test('lag at the threshold is still healthy', () => {
  const { monitor, advance } = fakeMonitor();
  monitor.tick(advance(500 + 2_000));
  expect(monitor.status().healthy).toBe(true);
});
