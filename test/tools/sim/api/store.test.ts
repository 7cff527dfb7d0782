import { createSimStore } from '../../../../tools/sim/api/store.js';
import {
  ApiError,
  CRDS,
  JOBS,
  NODES,
  PODS,
  type KubeObject,
  type WatchEvent,
} from '../../../../tools/sim/api/types.js';
import { seededRandom } from '../../../../tools/sim/api/faults.js';

function node(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { phase: 'Running' },
    ...extra,
  };
}

function pod(name: string, namespace = 'default', extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...extra },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] },
  };
}

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

test('create stamps uid, timestamp, generation 1 and a store-wide increasing resourceVersion', () => {
  const store = createSimStore();
  const a = store.create(NODES, node('a'));
  const b = store.create(PODS, pod('p'));
  expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(a.metadata.generation).toBe(1);
  expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
  expect(store.resourceVersion()).toBe(b.metadata.resourceVersion);
});

test('returned objects are copies', () => {
  const store = createSimStore();
  const created = store.create(NODES, node('a'));
  created.metadata.labels = { mutated: 'yes' };
  const got = store.get(NODES, undefined, 'a')!;
  got.spec = { unschedulable: true };
  expect(store.get(NODES, undefined, 'a')).toEqual(expect.objectContaining({ spec: {} }));
  expect(store.get(NODES, undefined, 'a')!.metadata.labels).toBeUndefined();
});

test('AlreadyExists, NotFound, missing namespace, invalid name', () => {
  const store = createSimStore();
  store.create(NODES, node('a'));
  expect(errorOf(() => store.create(NODES, node('a')))).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  expect(errorOf(() => store.update(NODES, node('zz')))).toMatchObject({ code: 404, reason: 'NotFound' });
  expect(errorOf(() => store.create(PODS, pod('p', 'nope')))).toMatchObject({ code: 404 });
  expect(errorOf(() => store.create(NODES, node('Bad_Name')))).toMatchObject({
    code: 422,
    reason: 'Invalid',
  });
});

test('generateName produces distinct names; seeded randomness is reproducible', () => {
  const names = (seed: number): string[] => {
    const store = createSimStore({ random: seededRandom(seed) });
    return [1, 2, 3].map(
      () =>
        store.create(PODS, {
          ...pod(''),
          metadata: { name: '', generateName: 'azure-npm-', namespace: 'default' },
        }).metadata.name,
    );
  };
  const first = names(7);
  expect(new Set(first).size).toBe(3);
  expect(first[0]).toMatch(/^azure-npm-[a-z0-9]{5}$/);
  expect(names(7)).toEqual(first);
});

test('update with a stale resourceVersion conflicts; without one it is unconditional', () => {
  const store = createSimStore();
  const v1 = store.create(NODES, node('a'));
  store.update(NODES, { ...v1, metadata: { ...v1.metadata, labels: { x: '1' } } });
  expect(
    errorOf(() => store.update(NODES, { ...v1, metadata: { ...v1.metadata, labels: { x: '2' } } })),
  ).toMatchObject({
    code: 409,
    reason: 'Conflict',
  });
  const { resourceVersion: _rv, ...meta } = v1.metadata;
  const forced = store.update(NODES, { ...v1, metadata: { ...meta, labels: { x: '3' } } });
  expect(forced.metadata.labels).toEqual({ x: '3' });
});

test('a no-op update does not bump the resourceVersion', () => {
  const store = createSimStore();
  const v1 = store.create(NODES, node('a'));
  const same = store.update(NODES, v1);
  expect(same.metadata.resourceVersion).toBe(v1.metadata.resourceVersion);
});

test('status subresource: spec writes keep status, status writes keep spec, generation follows spec only', () => {
  const store = createSimStore();
  const v1 = store.create(NODES, node('a'));
  const specWrite = store.update(NODES, {
    ...v1,
    spec: { unschedulable: true },
    status: { phase: 'Ignored' },
  });
  expect(specWrite.status).toEqual({ phase: 'Running' });
  expect(specWrite.metadata.generation).toBe(2);
  const statusWrite = store.update(
    NODES,
    { ...specWrite, spec: {}, status: { phase: 'Gone' } },
    { subresource: 'status' },
  );
  expect(statusWrite.spec).toEqual({ unschedulable: true });
  expect(statusWrite.status).toEqual({ phase: 'Gone' });
  expect(statusWrite.metadata.generation).toBe(2);
  const labelWrite = store.patch(NODES, undefined, 'a', 'merge', { metadata: { labels: { l: '1' } } });
  expect(labelWrite.metadata.generation).toBe(2);
  const statusPatch = store.patch(
    NODES,
    undefined,
    'a',
    'merge',
    { status: { phase: 'Again' }, spec: { x: 1 } },
    { subresource: 'status' },
  );
  expect(statusPatch.status).toEqual({ phase: 'Again' });
  expect(statusPatch.spec).toEqual({ unschedulable: true });
});

test('patch carrying a stale resourceVersion conflicts', () => {
  const store = createSimStore();
  const v1 = store.create(NODES, node('a'));
  store.patch(NODES, undefined, 'a', 'merge', { metadata: { labels: { a: '1' } } });
  expect(
    errorOf(() =>
      store.patch(NODES, undefined, 'a', 'merge', {
        metadata: { resourceVersion: v1.metadata.resourceVersion },
      }),
    ),
  ).toMatchObject({
    code: 409,
  });
});

test('finalizers: delete marks deletionTimestamp; removing the last finalizer deletes', () => {
  const store = createSimStore();
  store.create(NODES, node('a', { metadata: { name: 'a', finalizers: ['x/y', 'x/z'] } }));
  const marked = store.delete(NODES, undefined, 'a')!;
  expect(marked.metadata.deletionTimestamp).toBeDefined();
  expect(store.get(NODES, undefined, 'a')).toBeDefined();
  store.patch(NODES, undefined, 'a', 'json', [{ op: 'remove', path: '/metadata/finalizers/0' }]);
  expect(store.get(NODES, undefined, 'a')).toBeDefined();
  store.patch(NODES, undefined, 'a', 'merge', { metadata: { finalizers: null } });
  expect(store.get(NODES, undefined, 'a')).toBeUndefined();
});

test('garbage collection: deleting a Job deletes its pods, not pods with another live owner', () => {
  const store = createSimStore();
  const job = store.create(JOBS, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'default' },
    spec: {},
  });
  const other = store.create(JOBS, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'k', namespace: 'default' },
    spec: {},
  });
  const ref = (o: KubeObject) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: o.metadata.name,
    uid: o.metadata.uid!,
    controller: true,
  });
  store.create(PODS, pod('j-1', 'default', { ownerReferences: [ref(job)] }));
  store.create(PODS, pod('j-2', 'default', { ownerReferences: [ref(job)] }));
  store.create(PODS, pod('shared', 'default', { ownerReferences: [ref(job), ref(other)] }));
  store.create(PODS, pod('free'));
  store.delete(JOBS, 'default', 'j');
  expect(store.list(PODS).map((p) => p.metadata.name)).toEqual(['free', 'shared']);
  store.delete(JOBS, 'default', 'k');
  expect(store.list(PODS).map((p) => p.metadata.name)).toEqual(['free']);
});

test('orphan propagation keeps dependents', () => {
  const store = createSimStore();
  const job = store.create(JOBS, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'default' },
    spec: {},
  });
  store.create(
    PODS,
    pod('j-1', 'default', {
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: job.metadata.uid! }],
    }),
  );
  store.delete(JOBS, 'default', 'j', { propagationPolicy: 'Orphan' });
  expect(store.get(PODS, 'default', 'j-1')).toBeDefined();
});

test('subscribers see every change in resourceVersion order even when a listener writes', () => {
  const store = createSimStore();
  const seen: string[] = [];
  store.subscribe(NODES, (e: WatchEvent) => {
    seen.push(`${e.type}:${e.object.metadata.name}:${e.object.metadata.resourceVersion}`);
    if (e.type === 'ADDED' && e.object.metadata.name === 'a') store.create(NODES, node('b'));
  });
  const later: string[] = [];
  store.subscribe(NODES, (e) => later.push(e.object.metadata.resourceVersion!));
  store.create(NODES, node('a'));
  store.delete(NODES, undefined, 'a');
  expect(seen.map((s) => s.split(':').slice(0, 2).join(':'))).toEqual(['ADDED:a', 'ADDED:b', 'DELETED:a']);
  expect(later).toEqual([...later].sort((x, y) => Number(x) - Number(y)));
});

test('paging returns a consistent snapshot across concurrent writes', () => {
  const store = createSimStore();
  for (let i = 0; i < 10; i++) store.create(NODES, node(`n${i}`));
  const first = store.listPage(NODES, { limit: 4 });
  expect(first.entries.map((e) => e.object.metadata.name)).toEqual(['n0', 'n1', 'n2', 'n3']);
  expect(first.remainingItemCount).toBe(6);
  store.delete(NODES, undefined, 'n5');
  store.create(NODES, node('n55'));
  store.patch(NODES, undefined, 'n6', 'merge', { metadata: { labels: { changed: 'yes' } } });
  const second = store.listPage(NODES, { limit: 4, continue: first.continue });
  expect(second.resourceVersion).toBe(first.resourceVersion);
  expect(second.entries.map((e) => e.object.metadata.name)).toEqual(['n4', 'n5', 'n6', 'n7']);
  expect(second.entries[2]!.object.metadata.labels).toBeUndefined();
  const third = store.listPage(NODES, { limit: 4, continue: second.continue });
  expect(third.entries.map((e) => e.object.metadata.name)).toEqual(['n8', 'n9']);
  expect(third.continue).toBeUndefined();
});

test('paging with selectors and namespaces', () => {
  const store = createSimStore();
  store.create(PODS, pod('a', 'kube-system', { labels: { app: 'x' } }));
  store.create(PODS, pod('b', 'kube-system'));
  store.create(PODS, pod('c', 'kube-system', { labels: { app: 'x' } }));
  store.create(PODS, pod('d', 'default', { labels: { app: 'x' } }));
  const p1 = store.listPage(PODS, { namespace: 'kube-system', labelSelector: 'app=x', limit: 1 });
  expect(p1.entries.map((e) => e.object.metadata.name)).toEqual(['a']);
  const p2 = store.listPage(PODS, {
    namespace: 'kube-system',
    labelSelector: 'app=x',
    limit: 1,
    continue: p1.continue,
  });
  expect(p2.entries.map((e) => e.object.metadata.name)).toEqual(['c']);
  expect(p2.continue).toBeUndefined();
});

test('a continue token older than the retained history answers 410 Expired', () => {
  const store = createSimStore({ historySize: 3 });
  for (let i = 0; i < 4; i++) store.create(NODES, node(`n${i}`));
  const first = store.listPage(NODES, { limit: 2 });
  for (let i = 0; i < 5; i++)
    store.patch(NODES, undefined, 'n0', 'merge', { metadata: { labels: { i: String(i) } } });
  expect(errorOf(() => store.listPage(NODES, { limit: 2, continue: first.continue }))).toMatchObject({
    code: 410,
  });
});

test('watchRaw replays retained events after a resourceVersion and rejects too-old ones', () => {
  const store = createSimStore({ historySize: 5 });
  const start = Number(store.resourceVersion());
  store.create(NODES, node('a'));
  store.create(NODES, node('b'));
  const w = store.watchRaw(NODES, start, () => undefined);
  expect(w.replay.map((e) => e.entry.object.metadata.name)).toEqual(['a', 'b']);
  w.stop();
  for (let i = 0; i < 6; i++) store.create(PODS, pod(`p${i}`));
  expect(errorOf(() => store.watchRaw(NODES, start, () => undefined))).toMatchObject({ code: 410 });
});

test('CRDs register a resource with status subresource; deleting the CRD removes its objects', () => {
  const store = createSimStore();
  const crd = store.create(CRDS, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.io' },
    spec: {
      group: 'example.io',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  expect((crd.status as { conditions: Array<{ type: string }> }).conditions.map((c) => c.type)).toContain(
    'Established',
  );
  const key = { group: 'example.io', resource: 'widgets' };
  const w = store.create(key, {
    apiVersion: 'example.io/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'default' },
    spec: { a: 1 },
    status: { s: 1 },
  });
  expect(
    errorOf(() => store.update(key, { ...w, metadata: { ...w.metadata, resourceVersion: undefined } })),
  ).toMatchObject({ code: 422 });
  const updated = store.update(key, { ...w, spec: { a: 2 }, status: { s: 2 } });
  expect(updated.status).toEqual({ s: 1 });
  expect(updated.metadata.generation).toBe(2);
  expect(errorOf(() => store.patch(key, 'default', 'w', 'strategic', { spec: { a: 3 } }))).toMatchObject({
    code: 415,
  });
  store.delete(CRDS, undefined, 'widgets.example.io');
  expect(errorOf(() => store.list(key))).toMatchObject({ code: 404 });
});

test('deleting a namespace deletes what is in it', () => {
  const store = createSimStore();
  store.create(
    { group: '', resource: 'namespaces' },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tmp' } },
  );
  store.create(PODS, pod('p', 'tmp'));
  store.delete({ group: '', resource: 'namespaces' }, undefined, 'tmp');
  expect(store.list(PODS, { namespace: 'tmp' })).toEqual([]);
});

describe('dry run', () => {
  const widgetsCrd = (plural: string): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.io` },
    spec: {
      group: 'example.io',
      scope: 'Namespaced',
      names: { plural, kind: 'Widget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: { size: { type: 'integer', minimum: 1, default: 3 } },
                },
              },
            },
          },
        },
      ],
    },
  });

  /** Every event the store sends, and the resourceVersion: what a dry run must leave alone. */
  function observed(
    store: ReturnType<typeof createSimStore>,
    keys: Array<{ group: string; resource: string }>,
  ) {
    const events: string[] = [];
    for (const key of keys) store.subscribe(key, (e) => events.push(`${e.type} ${e.object.metadata.name}`));
    return { events, rv: store.resourceVersion() };
  }

  test('a dry-run create answers the new object (uid, timestamp, generation, no resourceVersion), stores nothing', () => {
    const store = createSimStore();
    const seen = observed(store, [NODES]);
    const dry = store.create(NODES, node('a', { metadata: { name: 'a', resourceVersion: '7' } }), {
      dryRun: true,
      resetStatus: true,
    });
    expect(dry.metadata).toMatchObject({ name: 'a', generation: 1 });
    expect(dry.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(dry.metadata.creationTimestamp).toBeDefined();
    expect(dry.metadata.resourceVersion).toBeUndefined();
    expect(store.get(NODES, undefined, 'a')).toBeUndefined();
    expect(store.count(NODES)).toBe(0);
    expect(store.resourceVersion()).toBe(seen.rv);
    expect(seen.events).toEqual([]);
    // generateName and the object rules run too.
    expect(
      store.create(NODES, node('', { metadata: { name: '', generateName: 'g-' } }), { dryRun: true }).metadata
        .name,
    ).toMatch(/^g-/);
    expect(errorOf(() => store.create(NODES, node('UPPER'), { dryRun: true }))).toMatchObject({ code: 422 });
    expect(errorOf(() => store.create(PODS, pod('p', 'nope'), { dryRun: true }))).toMatchObject({
      code: 404,
    });
    store.create(NODES, node('b'));
    expect(errorOf(() => store.create(NODES, node('b'), { dryRun: true }))).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
    });
  });

  test('dry-run update and patch answer the result at the stored resourceVersion and change nothing', () => {
    const store = createSimStore();
    const v1 = store.create(NODES, node('a'));
    const seen = observed(store, [NODES]);
    const updated = store.update(NODES, { ...v1, spec: { unschedulable: true } }, { dryRun: true });
    expect(updated.spec).toEqual({ unschedulable: true });
    expect(updated.metadata.generation).toBe(2);
    expect(updated.metadata.resourceVersion).toBe(v1.metadata.resourceVersion);
    const patched = store.patch(
      NODES,
      undefined,
      'a',
      'merge',
      { metadata: { labels: { x: '1' } } },
      {
        dryRun: true,
      },
    );
    expect(patched.metadata.labels).toEqual({ x: '1' });
    const status = store.patch(
      NODES,
      undefined,
      'a',
      'merge',
      { status: { phase: 'Gone' } },
      {
        dryRun: true,
        subresource: 'status',
      },
    );
    expect(status.status).toEqual({ phase: 'Gone' });
    expect(store.get(NODES, undefined, 'a')).toEqual(v1);
    expect(store.resourceVersion()).toBe(seen.rv);
    expect(seen.events).toEqual([]);
    // Conflicts and NotFound as for the real write.
    expect(
      errorOf(() =>
        store.update(NODES, { ...v1, metadata: { ...v1.metadata, resourceVersion: '1' } }, { dryRun: true }),
      ),
    ).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(errorOf(() => store.patch(NODES, undefined, 'zz', 'merge', {}, { dryRun: true }))).toMatchObject({
      code: 404,
    });
  });

  test('a dry-run delete answers the object, removes nothing and collects no dependents', () => {
    const store = createSimStore();
    const job = store.create(JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', namespace: 'default' },
      spec: {},
    });
    store.create(
      PODS,
      pod('j-1', 'default', {
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: job.metadata.uid! }],
      }),
    );
    store.create(NODES, node('f', { metadata: { name: 'f', finalizers: ['x/y'] } }));
    const seen = observed(store, [JOBS, PODS, NODES]);
    expect(store.delete(JOBS, 'default', 'j', { dryRun: true })).toEqual(job);
    expect(store.get(JOBS, 'default', 'j')).toEqual(job);
    expect(store.get(PODS, 'default', 'j-1')).toBeDefined();
    const marked = store.delete(NODES, undefined, 'f', { dryRun: true })!;
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(store.get(NODES, undefined, 'f')!.metadata.deletionTimestamp).toBeUndefined();
    expect(
      errorOf(() => store.delete(JOBS, 'default', 'j', { dryRun: true, preconditions: { uid: 'other' } })),
    ).toMatchObject({ code: 409 });
    expect(store.delete(JOBS, 'default', 'missing', { dryRun: true })).toBeUndefined();
    expect(store.deleteCollection(PODS, { namespace: 'default', dryRun: true })).toHaveLength(1);
    expect(store.list(PODS, { namespace: 'default' })).toHaveLength(1);
    expect(store.resourceVersion()).toBe(seen.rv);
    expect(seen.events).toEqual([]);
  });

  test('a dry-run CRD create registers nothing; a dry-run custom resource is defaulted and validated', () => {
    const store = createSimStore();
    const crd = store.create(CRDS, widgetsCrd('gears'), { dryRun: true });
    expect(crd.metadata.uid).toBeDefined();
    expect(store.registry.get({ group: 'example.io', resource: 'gears' })).toBeUndefined();
    expect(store.get(CRDS, undefined, 'gears.example.io')).toBeUndefined();

    store.create(CRDS, widgetsCrd('widgets'));
    const key = { group: 'example.io', resource: 'widgets' };
    const rv = store.resourceVersion();
    const widget = (size?: number): KubeObject => ({
      apiVersion: 'example.io/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'default' },
      spec: size === undefined ? {} : { size },
    });
    expect(store.create(key, widget(), { dryRun: true }).spec).toEqual({ size: 3 });
    const dry = errorOf(() => store.create(key, widget(0), { dryRun: true }));
    const real = errorOf(() => store.create(key, widget(0)));
    expect(dry).toMatchObject({ code: 422, reason: 'Invalid' });
    expect({ message: dry.message, details: dry.details }).toEqual({
      message: real.message,
      details: real.details,
    });
    expect(store.count(key)).toBe(0);
    expect(store.resourceVersion()).toBe(rv);
    // A dry-run CRD update leaves the served resource as it was.
    const stored = store.get(CRDS, undefined, 'widgets.example.io')!;
    const renamed = JSON.parse(JSON.stringify(stored)) as KubeObject;
    (renamed.spec as { names: { shortNames?: string[] } }).names.shortNames = ['wz'];
    store.update(CRDS, renamed, { dryRun: true });
    expect(store.registry.get(key)?.shortNames ?? []).not.toContain('wz');
  });
});
