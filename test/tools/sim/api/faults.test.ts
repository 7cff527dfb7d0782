import {
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Job,
} from '@kubernetes/client-node';
import { eventually } from '../../../kit/eventually.js';
import { apiFailure, nodeObject, startHarness, type Harness } from '../../../kit/sim-api.js';
import { JOBS, NODES } from '../../../../tools/sim/api/types.js';

let h: Harness;
let core: CoreV1Api;
beforeEach(async () => {
  h = await startHarness();
  core = h.kc.makeApiClient(CoreV1Api);
  h.store.create(NODES, nodeObject('n1'));
});
afterEach(async () => {
  await h.stop();
});

test('a 503 rule fails matching requests with Retry-After until it runs out', async () => {
  h.server.faults.add({
    verb: 'list',
    resource: 'nodes',
    errorRate: 1,
    errorCode: 503,
    retryAfterSeconds: 2,
    remaining: 1,
  });
  const failure = await apiFailure(() => core.listNode());
  expect(failure.code).toBe(503);
  expect(failure.status).toMatchObject({ reason: 'ServiceUnavailable', details: { retryAfterSeconds: 2 } });
  const ok = await core.listNode();
  expect(ok.items).toHaveLength(1);
  expect(await core.readNode({ name: 'n1' })).toBeDefined();
});

test('429 TooManyRequests carries a Retry-After header', async () => {
  h.server.faults.add({ verb: 'get', resource: 'nodes', errorRate: 1, errorCode: 429, retryAfterSeconds: 1 });
  const response = await fetch(`${h.server.url}/api/v1/nodes/n1`);
  expect(response.status).toBe(429);
  expect(response.headers.get('retry-after')).toBe('1');
  expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
});

test('error rates are deterministic for a seed', async () => {
  const outcomes = async (seed: number): Promise<string> => {
    const other = await startHarness({}, { seed });
    other.server.faults.add({ verb: 'list', resource: 'namespaces', errorRate: 0.5 });
    let result = '';
    for (let i = 0; i < 24; i++)
      result += (await fetch(`${other.server.url}/api/v1/namespaces`)).status === 200 ? '.' : 'x';
    await other.stop();
    return result;
  };
  const a = await outcomes(42);
  expect(await outcomes(42)).toBe(a);
  expect(a).toContain('x');
  expect(a).toContain('.');
});

test('an after-commit 503 on a POST: the object is stored, the watch delivers it, the answer is the fault', async () => {
  const added: string[] = [];
  await new Watch(h.kc).watch(
    '/api/v1/nodes',
    { resourceVersion: h.store.resourceVersion() },
    (type, obj: { metadata?: { name?: string } }) => added.push(`${type}:${obj.metadata?.name ?? ''}`),
    () => undefined,
  );
  await eventually(() => h.server.faults.activeWatches({ resource: 'nodes' }) === 1);
  h.server.faults.add({
    verb: 'create',
    resource: 'nodes',
    errorRate: 1,
    errorCode: 503,
    afterCommit: true,
    remaining: 1,
  });
  const response = await fetch(`${h.server.url}/api/v1/nodes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(nodeObject('committed')),
  });
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('1');
  expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
  expect(h.store.get(NODES, undefined, 'committed')).toBeDefined();
  await eventually(() => added.includes('ADDED:committed'));
  // The client's retry finds it there.
  const again = await apiFailure(() => core.createNode({ body: nodeObject('committed') }));
  expect(again.status.reason).toBe('AlreadyExists');
  // Reads have nothing to commit: an after-commit rule fails them like any other.
  h.server.faults.add({
    verb: 'get',
    resource: 'nodes',
    errorRate: 1,
    errorCode: 500,
    afterCommit: true,
    remaining: 1,
  });
  expect((await apiFailure(() => core.readNode({ name: 'committed' }))).code).toBe(500);
});

test('latency rules delay but still serve', async () => {
  h.server.faults.add({ verb: 'get', resource: 'nodes', latencyMs: 30, remaining: 1 });
  expect((await core.readNode({ name: 'n1' })).metadata?.name).toBe('n1');
  expect(h.server.faults.snapshot().rules).toEqual([]);
});

test('conflict on the next write, then writes succeed again', async () => {
  h.server.faults.conflictOnNextWrite({ resource: 'nodes', name: 'n1' });
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const failure = await apiFailure(() =>
    core.patchNode({ name: 'n1', body: { spec: { unschedulable: true } } }, merge),
  );
  expect(failure.status.reason).toBe('Conflict');
  const ok = await core.patchNode({ name: 'n1', body: { spec: { unschedulable: true } } }, merge);
  expect(ok.spec?.unschedulable).toBe(true);
});

test('drop a watch after N events; force 410 on the next watch', async () => {
  h.server.faults.add({ verb: 'watch', resource: 'nodes', dropWatchAfterEvents: 2, remaining: 1 });
  const types: string[] = [];
  let ended = false;
  await new Watch(h.kc).watch(
    '/api/v1/nodes',
    { resourceVersion: h.store.resourceVersion() },
    (type) => types.push(type),
    () => (ended = true),
  );
  await eventually(() => h.server.faults.activeWatches() === 1);
  for (let i = 0; i < 4; i++) h.store.create(NODES, nodeObject(`d${i}`));
  await eventually(() => ended);
  expect(types).toEqual(['ADDED', 'ADDED']);

  h.server.faults.forceGoneOnNextWatch({ resource: 'nodes' });
  const codes: unknown[] = [];
  ended = false;
  await new Watch(h.kc).watch(
    '/api/v1/nodes',
    { resourceVersion: h.store.resourceVersion() },
    (type, obj: { code?: number }) => codes.push(`${type}:${obj.code}`),
    () => (ended = true),
  );
  await eventually(() => ended);
  expect(codes).toEqual(['ERROR:410']);
});

test('an abrupt drop after N events delivers those N events first, also from a replay', async () => {
  const from = h.store.resourceVersion();
  // A backlog the watch replays in one go, as after a reconnect from an older resourceVersion.
  for (let i = 0; i < 40; i++) h.store.create(NODES, nodeObject(`r${i}`));
  h.server.faults.add({
    verb: 'watch',
    resource: 'nodes',
    dropWatchAfterEvents: 25,
    dropWatchAbruptly: true,
    remaining: 1,
  });
  const seen: string[] = [];
  let endError: unknown = 'not ended';
  await new Watch(h.kc).watch(
    '/api/v1/nodes',
    { resourceVersion: from },
    (_type, obj: { metadata?: { name?: string } }) => seen.push(obj.metadata?.name ?? ''),
    (err) => (endError = err),
  );
  await eventually(() => endError !== 'not ended');
  expect(endError).toBeInstanceOf(Error);
  // The client resumes from the last event it got: 25 of them, in order, none skipped.
  expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `r${i}`));
});

test('an abrupt drop reaches the client as an error', async () => {
  let endError: unknown = 'not ended';
  await new Watch(h.kc).watch(
    '/api/v1/nodes',
    { resourceVersion: h.store.resourceVersion() },
    () => undefined,
    (err) => (endError = err),
  );
  await eventually(() => h.server.faults.activeWatches() === 1);
  expect(h.server.faults.dropActiveWatches({ resource: 'nodes' }, true)).toBe(1);
  await eventually(() => endError !== 'not ended');
  expect(endError).toBeInstanceOf(Error);
});

test('admin API: PUT/GET /sim/faults, /sim/requests counts and reset, mounted routes', async () => {
  const put = await fetch(`${h.server.url}/sim/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      seed: 9,
      rules: [{ verb: 'get', resource: 'nodes', errorRate: 1, errorCode: 500 }],
    }),
  });
  expect(put.status).toBe(200);
  const faults = (await (await fetch(`${h.server.url}/sim/faults`)).json()) as {
    seed: number;
    rules: unknown[];
  };
  expect(faults.seed).toBe(9);
  expect(faults.rules).toHaveLength(1);
  expect((await apiFailure(() => core.readNode({ name: 'n1' }))).code).toBe(500);
  await fetch(`${h.server.url}/sim/faults`, { method: 'PUT', body: JSON.stringify({ rules: [] }) });
  await core.readNode({ name: 'n1' });

  const counts = (await (await fetch(`${h.server.url}/sim/requests`)).json()) as {
    counts: Array<{ verb: string; resource: string; code: number; count: number }>;
  };
  expect(counts.counts).toEqual(
    expect.arrayContaining([
      { verb: 'get', resource: 'nodes', code: 500, count: 1 },
      { verb: 'get', resource: 'nodes', code: 200, count: 1 },
    ]),
  );
  await fetch(`${h.server.url}/sim/requests/reset`, { method: 'POST' });
  expect(h.server.requests.total()).toBe(0);

  h.server.admin.route('POST', '/sim/nodes/:name/break', (req) => ({
    status: 202,
    body: { node: req.params.name, got: req.body },
  }));
  const custom = await fetch(`${h.server.url}/sim/nodes/aks-1/break`, {
    method: 'POST',
    body: JSON.stringify({ cause: 'kubelet-init-race' }),
  });
  expect(custom.status).toBe(202);
  expect(await custom.json()).toEqual({ node: 'aks-1', got: { cause: 'kubelet-init-race' } });
  expect((await fetch(`${h.server.url}/sim/nodes/aks-1/break`)).status).toBe(405);
  expect((await fetch(`${h.server.url}/sim/nope`)).status).toBe(404);
});

const DENIAL =
  "jobs.batch \"priv\" is forbidden: ValidatingAdmissionPolicy 'no-privileged-jobs' with binding 'no-privileged-jobs' denied request: privileged Jobs are not allowed";

function privilegedJob(name: string): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'agent', image: 'chainmedic', securityContext: { privileged: true } }],
        },
      },
    },
  };
}

test('a rule with reason and message refuses like an admission policy, dry runs included', async () => {
  const batch = h.kc.makeApiClient(BatchV1Api);
  h.server.faults.add({
    verb: 'create',
    resource: 'jobs.batch',
    errorCode: 422,
    reason: 'Invalid',
    message: DENIAL,
  });
  const rv = h.store.resourceVersion();
  const dry = await fetch(`${h.server.url}/apis/batch/v1/namespaces/default/jobs?dryRun=All`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(privilegedJob('priv')),
  });
  expect(dry.status).toBe(422);
  expect(dry.headers.get('retry-after')).toBeNull();
  expect(await dry.json()).toEqual({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: DENIAL,
    reason: 'Invalid',
    code: 422,
  });
  const real = await apiFailure(() =>
    batch.createNamespacedJob({ namespace: 'default', body: privilegedJob('priv') }),
  );
  expect(real.code).toBe(422);
  expect(real.status).toMatchObject({ reason: 'Invalid', message: DENIAL });
  expect(h.store.get(JOBS, 'default', 'priv')).toBeUndefined();
  expect(h.store.resourceVersion()).toBe(rv);
  // Other verbs and resources pass.
  expect((await core.readNode({ name: 'n1' })).metadata?.name).toBe('n1');
  expect(h.server.requests.total({ verb: 'create', resource: 'jobs', code: 422, dryRun: true })).toBe(1);
  expect(h.server.requests.total({ verb: 'create', resource: 'jobs', code: 422, dryRun: false })).toBe(1);
});

test('a reason alone keeps the default message; a code alone keeps the default reason and message', async () => {
  h.server.faults.add({ verb: 'get', resource: 'nodes', errorCode: 403, reason: 'Forbidden', remaining: 1 });
  expect((await apiFailure(() => core.readNode({ name: 'n1' }))).status).toMatchObject({
    code: 403,
    reason: 'Forbidden',
    message: 'injected fault: Forbidden',
  });
  h.server.faults.add({ verb: 'get', resource: 'nodes', errorCode: 422, remaining: 1 });
  expect((await apiFailure(() => core.readNode({ name: 'n1' }))).status).toMatchObject({
    code: 422,
    reason: 'Invalid',
    message: 'injected fault: Invalid',
  });
  // errorRate 0 still means never.
  h.server.faults.add({ verb: 'get', resource: 'nodes', errorCode: 500, message: 'never', errorRate: 0 });
  expect((await core.readNode({ name: 'n1' })).metadata?.name).toBe('n1');
});

test('an after-commit rule on a dry run answers its Status and commits nothing', async () => {
  h.server.faults.add({
    verb: 'create',
    resource: 'nodes',
    errorCode: 504,
    reason: 'Timeout',
    message: 'Timeout: request did not complete within requested timeout - context deadline exceeded',
    afterCommit: true,
    remaining: 1,
  });
  const rv = h.store.resourceVersion();
  const response = await fetch(`${h.server.url}/api/v1/nodes?dryRun=All`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(nodeObject('late')),
  });
  expect(response.status).toBe(504);
  expect(await response.json()).toMatchObject({
    reason: 'Timeout',
    message: expect.stringMatching(/^Timeout: /),
  });
  expect(h.store.get(NODES, undefined, 'late')).toBeUndefined();
  expect(h.store.resourceVersion()).toBe(rv);
});

test('an unsupported dryRun is refused before fault rules see the request', async () => {
  h.server.faults.add({
    verb: 'create',
    resource: 'nodes',
    errorCode: 403,
    reason: 'Forbidden',
    remaining: 1,
  });
  const bad = await fetch(`${h.server.url}/api/v1/nodes?dryRun=foo`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(nodeObject('x')),
  });
  expect(bad.status).toBe(422);
  expect(h.server.faults.snapshot().rules).toHaveLength(1);
});

test('admin API: rules carry reason and message; a malformed rule is 400 and changes nothing', async () => {
  const put = (body: unknown) =>
    fetch(`${h.server.url}/sim/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const ok = await put({
    rules: [{ verb: 'create', resource: 'jobs.batch', errorCode: 422, reason: 'Invalid', message: DENIAL }],
  });
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { rules: unknown[] }).rules).toEqual([
    {
      id: expect.any(String),
      verb: 'create',
      resource: 'jobs.batch',
      errorCode: 422,
      reason: 'Invalid',
      message: DENIAL,
    },
  ]);
  const batch = h.kc.makeApiClient(BatchV1Api);
  const refused = await apiFailure(() =>
    batch.createNamespacedJob({ namespace: 'default', body: privilegedJob('priv'), dryRun: 'All' }),
  );
  expect(refused.status).toMatchObject({ code: 422, reason: 'Invalid', message: DENIAL });
  for (const rule of [{ reason: 42 }, { message: ['x'] }, { errorCode: 200 }, 'create']) {
    const bad = await put({ rules: [rule] });
    expect(bad.status).toBe(400);
  }
  expect((await put({ rules: { verb: 'get' } })).status).toBe(400);
  expect(h.server.faults.snapshot().rules).toHaveLength(1);
});

test('a rule with dryRun false refuses only real writes; dryRun true only dry runs', async () => {
  const create = (name: string, dryRun: boolean) =>
    fetch(`${h.server.url}/apis/batch/v1/namespaces/default/jobs${dryRun ? '?dryRun=All' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(privilegedJob(name)),
    });
  const id = h.server.faults.add({ verb: 'create', resource: 'jobs.batch', errorCode: 403, dryRun: false });
  expect((await create('a', true)).status).toBe(201);
  expect((await create('a', false)).status).toBe(403);
  expect(h.store.get(JOBS, 'default', 'a')).toBeUndefined();
  h.server.faults.remove(id);
  h.server.faults.add({ verb: 'create', resource: 'jobs.batch', errorCode: 403, dryRun: true });
  expect((await create('b', true)).status).toBe(403);
  expect((await create('b', false)).status).toBe(201);
  expect(h.store.get(JOBS, 'default', 'b')).toBeDefined();
});
