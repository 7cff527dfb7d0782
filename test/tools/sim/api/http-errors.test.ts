import { startHarness, type Harness } from '../../../kit/sim-api.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { maxBodyBytes: 1024 });
});
afterAll(async () => {
  await h.stop();
});

async function call(method: string, path: string, body?: string, contentType = 'application/json') {
  const response = await fetch(`${h.server.url}${path}`, {
    method,
    body,
    headers: body ? { 'Content-Type': contentType } : {},
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : text,
  };
}

test.each([
  ['GET', '/api/v1/widgets', undefined, 'application/json', 404, 'NotFound'],
  ['GET', '/apis/nope.io/v1/things', undefined, 'application/json', 404, 'NotFound'],
  ['PUT', '/api/v1/nodes', '{}', 'application/json', 405, 'MethodNotAllowed'],
  ['POST', '/api/v1/nodes', '{not json', 'application/json', 400, 'BadRequest'],
  ['POST', '/api/v1/nodes', 'kind: Node', 'application/yaml', 415, 'UnsupportedMediaType'],
  ['PATCH', '/api/v1/namespaces/default', '{}', 'text/plain', 415, 'UnsupportedMediaType'],
  [
    'POST',
    '/api/v1/nodes',
    JSON.stringify({ metadata: { name: 'x', labels: { pad: 'a'.repeat(2000) } } }),
    'application/json',
    413,
    'RequestEntityTooLarge',
  ],
  [
    'POST',
    '/api/v1/nodes',
    JSON.stringify({ metadata: { name: 'UPPER' } }),
    'application/json',
    422,
    'Invalid',
  ],
  [
    'POST',
    '/api/v1/namespaces/default/pods',
    JSON.stringify({ metadata: { name: 'p', namespace: 'other' } }),
    'application/json',
    400,
    'BadRequest',
  ],
  ['GET', '/api/v1/nodes?labelSelector=a%20in%20(b', undefined, 'application/json', 400, 'BadRequest'],
  ['GET', '/api/v1/nodes?limit=1&continue=garbage', undefined, 'application/json', 400, 'BadRequest'],
])('%s %s', async (method, path, body, contentType, code, reason) => {
  const result = await call(method, path, body, contentType);
  expect(result.status).toBe(code);
  expect(result.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
});

test('discovery documents', async () => {
  const version = await call('GET', '/version');
  expect(version.body).toMatchObject({ major: '1', minor: '32' });
  const core = (await call('GET', '/api/v1')).body as {
    resources: Array<{ name: string; namespaced: boolean; shortNames?: string[] }>;
  };
  const names = core.resources.map((r) => r.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'nodes',
      'nodes/status',
      'pods',
      'pods/log',
      'pods/status',
      'events',
      'namespaces',
    ]),
  );
  expect(core.resources.find((r) => r.name === 'nodes')).toMatchObject({
    namespaced: false,
    shortNames: ['no'],
  });
  const groups = (await call('GET', '/apis')).body as { groups: Array<{ name: string }> };
  expect(groups.groups.map((g) => g.name)).toEqual(
    expect.arrayContaining(['apps', 'batch', 'coordination.k8s.io', 'apiextensions.k8s.io']),
  );
  expect((await call('GET', '/apis/batch/v1')).body).toMatchObject({ groupVersion: 'batch/v1' });
  expect((await call('GET', '/openapi/v2')).status).toBe(404);
  const v3 = (await call('GET', '/openapi/v3')).body as { paths: Record<string, unknown> };
  expect(Object.keys(v3.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/batch/v1']));
});

test('legacy /watch/ paths and sendInitialEvents with the initial-events-end bookmark', async () => {
  await call(
    'POST',
    '/api/v1/namespaces/default/pods',
    JSON.stringify({ metadata: { name: 'w1' }, spec: { containers: [{ name: 'c', image: 'i' }] } }),
  );
  const stream = async (path: string): Promise<string> => (await fetch(`${h.server.url}${path}`)).text();
  const legacy = await stream('/api/v1/watch/namespaces/default/pods/w1?timeoutSeconds=1');
  const lines = legacy
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string } } });
  expect(lines.map((l) => `${l.type}:${l.object.metadata.name}`)).toEqual(['ADDED:w1']);

  const initial = await stream(
    '/api/v1/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1',
  );
  const events = initial
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { type: string; object: { metadata: { annotations?: Record<string, string> } } },
    );
  expect(events[0]!.type).toBe('ADDED');
  expect(events[1]).toMatchObject({
    type: 'BOOKMARK',
    object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
  });
});
