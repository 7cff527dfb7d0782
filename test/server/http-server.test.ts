import { Registry } from 'prom-client';
import { startHttpServer, type HttpServerHandle, type Readiness } from '../../src/server/http-server.js';
import { createOperatorMetrics } from '../../src/server/metrics.js';
import { send } from './http-client.js';

let server: HttpServerHandle;
let readiness: Readiness | Error = false;
const metrics = createOperatorMetrics(new Registry());

beforeAll(async () => {
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    metrics,
    isReady: () => {
      if (readiness instanceof Error) throw readiness;
      return readiness;
    },
  });
});
afterAll(() => server.close());

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

test('/healthz answers ok with the measured loop lag', async () => {
  const res = await send(server.port, { path: '/healthz' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(json(res.body)).toMatchObject({ status: 'ok', eventLoopLagMs: expect.any(Number) });
});

test('/readyz follows the callback: boolean, object with reason, and a throw', async () => {
  readiness = false;
  let res = await send(server.port, { path: '/readyz' });
  expect(res.status).toBe(503);
  expect(json(res.body)).toEqual({ status: 'not ready' });

  readiness = { ready: false, reason: 'informers not synced: nodes' };
  res = await send(server.port, { path: '/readyz' });
  expect(res.status).toBe(503);
  expect(json(res.body)).toEqual({ status: 'not ready', reason: 'informers not synced: nodes' });

  readiness = new Error('secret detail /etc/passwd at Object.<anonymous>');
  res = await send(server.port, { path: '/readyz' });
  expect(res.status).toBe(503);
  expect(res.body).not.toContain('secret detail');
  expect(json(res.body)).toEqual({ status: 'not ready', reason: 'the readiness check failed' });

  readiness = true;
  res = await send(server.port, { path: '/readyz' });
  expect(res.status).toBe(200);
  expect(json(res.body)).toEqual({ status: 'ready' });
});

test('/metrics serves the Prometheus text format with the operator metrics', async () => {
  metrics.detection('confirmed');
  const res = await send(server.port, { path: '/metrics' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(res.body).toContain('chainmedic_detections_total{result="confirmed"} 1');
  expect(res.body).toContain('# HELP chainmedic_nodes');
});

test('HEAD works like GET without a body', async () => {
  const res = await send(server.port, { method: 'HEAD', path: '/healthz' });
  expect(res.status).toBe(200);
  expect(res.body).toBe('');
});

test('unknown paths are 404 and wrong methods 405 with Allow, all JSON', async () => {
  const missing = await send(server.port, { path: '/nope' });
  expect(missing.status).toBe(404);
  expect(json(missing.body)).toEqual({ status: 404, error: 'no such path: /nope' });

  for (const path of ['/healthz', '/readyz', '/metrics']) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await send(server.port, {
        method,
        path,
        headers: { 'content-type': 'application/json' },
        body: '{"a":',
      });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(json(res.body).error).toContain(`method ${method} is not allowed on ${path}`);
    }
  }
});

test('bodies are refused with a clear 4xx (malformed JSON, wrong type, huge), and the server keeps serving', async () => {
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    const malformed = await send(server.port, {
      path,
      headers: { 'content-type': 'application/json' },
      body: '{"not json',
    });
    expect(malformed.status).toBe(400);
    expect(json(malformed.body).error).toBe(`${path} takes no request body`);

    const wrongType = await send(server.port, {
      path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(wrongType.status).toBe(400);

    const huge = await send(server.port, {
      path,
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(3 * 1024 * 1024, 0x61),
    });
    expect(huge.status).toBe(413);
    expect(json(huge.body).error).toBe('request body too large');
  }
  const after = await send(server.port, { path: '/healthz' });
  expect(after.status).toBe(200);
});

test('a path with a stack-provoking encoding gets a plain answer', async () => {
  const res = await send(server.port, { path: '/%E0%A4%A' });
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.body).not.toMatch(/at .*\.js:\d+/);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
});

test('/healthz turns 503 after the event loop was blocked beyond the threshold', async () => {
  // The monitor reads the test's clock: 1.5 s passing at once on it is a timer tick 1.5 s late, which is what a
  // blocked loop looks like to it (the verdict itself is unit-tested in loop-lag.test.ts).
  let now = 1_000_000;
  const stalled = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    metrics: createOperatorMetrics(new Registry()),
    isReady: () => true,
    loopLag: { intervalMs: 50, thresholdMs: 300, windowMs: 600_000, now: () => now },
  });
  try {
    expect((await send(stalled.port, { path: '/healthz' })).status).toBe(200);
    now += 1_500;
    const res = await send(stalled.port, { path: '/healthz' });
    expect(res.status).toBe(503);
    expect(json(res.body)).toMatchObject({
      status: 'unhealthy',
      reason: expect.stringMatching(/event loop blocked/),
    });
    expect(json(res.body).eventLoopLagMs).toBeGreaterThan(300);
  } finally {
    await stalled.close();
  }
});

test('a port in use is a clear error', async () => {
  await expect(
    startHttpServer({ port: server.port, host: '127.0.0.1', metrics, isReady: () => true }),
  ).rejects.toThrow(/EADDRINUSE/);
});
