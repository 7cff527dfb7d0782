import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  ListWatch,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { eventually } from '../../../kit/eventually.js';
import { apiFailure, startHarness, type Harness } from '../../../kit/sim-api.js';

const GROUP = 'test.chainmedic.io';
const VERSION = 'v1alpha1';
const PLURAL = 'gizmos';

const crd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${PLURAL}.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Cluster',
    names: {
      plural: PLURAL,
      singular: 'gizmo',
      kind: 'Gizmo',
      shortNames: ['gz'],
      categories: ['chainmedic'],
    },
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
      },
    ],
  },
};

interface Gizmo extends KubernetesObject {
  spec?: { nodeName?: string; attempt?: number };
  status?: { phase?: string };
}

let h: Harness;
let custom: CustomObjectsApi;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  h = await startHarness();
  const ext = h.kc.makeApiClient(ApiextensionsV1Api);
  const created = await ext.createCustomResourceDefinition({ body: crd });
  expect(created.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
  custom = h.kc.makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await h.stop();
});

const gizmo = (name: string, labels: Record<string, string> = {}): Gizmo => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'Gizmo',
  metadata: { name, labels },
  spec: { nodeName: 'aks-node-1', attempt: 1 },
  status: { phase: 'Ignored' },
});

test('discovery lists the new resource with its short name, categories and status subresource', async () => {
  const response = await fetch(`${h.server.url}/apis/${GROUP}/${VERSION}`);
  const doc = (await response.json()) as {
    resources: Array<{ name: string; shortNames?: string[]; categories?: string[]; namespaced: boolean }>;
  };
  expect(doc.resources.find((r) => r.name === PLURAL)).toMatchObject({
    shortNames: ['gz'],
    categories: ['chainmedic'],
    namespaced: false,
  });
  expect(doc.resources.map((r) => r.name)).toContain(`${PLURAL}/status`);
});

test('create drops status; spec changes bump generation; status goes through /status only', async () => {
  const created = (await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    body: gizmo('g1'),
  })) as Gizmo;
  expect(created.status).toBeUndefined();
  expect(created.metadata?.generation).toBe(1);
  const specPatched = (await custom.patchClusterCustomObject(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: 'g1',
      body: { spec: { attempt: 2 }, status: { phase: 'Nope' } },
    },
    merge,
  )) as Gizmo;
  expect(specPatched.metadata?.generation).toBe(2);
  expect(specPatched.status).toBeUndefined();
  const statusPatched = (await custom.patchClusterCustomObjectStatus(
    { group: GROUP, version: VERSION, plural: PLURAL, name: 'g1', body: { status: { phase: 'Cordoned' } } },
    merge,
  )) as Gizmo;
  expect(statusPatched.status?.phase).toBe('Cordoned');
  expect(statusPatched.metadata?.generation).toBe(2);
  const replaced = (await custom.replaceClusterCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    name: 'g1',
    body: { ...statusPatched, spec: { attempt: 99 }, status: { phase: 'Verifying' } },
  })) as Gizmo;
  expect(replaced.spec?.attempt).toBe(2);
  expect(replaced.status?.phase).toBe('Verifying');
});

test('replace needs a current resourceVersion; strategic merge is unsupported', async () => {
  const created = (await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    body: gizmo('g2'),
  })) as Gizmo;
  await custom.patchClusterCustomObject(
    { group: GROUP, version: VERSION, plural: PLURAL, name: 'g2', body: { spec: { attempt: 5 } } },
    merge,
  );
  const stale = await apiFailure(() =>
    custom.replaceClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: 'g2',
      body: created,
    }),
  );
  expect(stale.status.reason).toBe('Conflict');
  const { resourceVersion: _rv, ...withoutRv } = created.metadata!;
  const missing = await apiFailure(() =>
    custom.replaceClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: 'g2',
      body: { ...created, metadata: withoutRv },
    }),
  );
  expect(missing.code).toBe(422);
  const smp = await apiFailure(() =>
    custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, name: 'g2', body: { spec: {} } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    ),
  );
  expect(smp.code).toBe(415);
});

test('finalizers hold deletion until removed', async () => {
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    body: { ...gizmo('g3'), metadata: { name: 'g3', finalizers: ['chainmedic.io/uncordon'] } },
  });
  await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: 'g3' });
  const pending = (await custom.getClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    name: 'g3',
  })) as Gizmo;
  expect(pending.metadata?.deletionTimestamp).toBeDefined();
  await custom.patchClusterCustomObject(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: 'g3',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  const gone = await apiFailure(() =>
    custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: 'g3' }),
  );
  expect(gone.code).toBe(404);
});

test('list with a label selector, then a ListWatch keeps a cache of custom objects', async () => {
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    body: gizmo('lw-1', { episode: 'e1' }),
  });
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    body: gizmo('lw-2', { episode: 'e2' }),
  });
  const listed = (await custom.listClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    labelSelector: 'episode=e1',
  })) as {
    items: Gizmo[];
  };
  expect(listed.items.map((g) => g.metadata?.name)).toEqual(['lw-1']);

  const path = `/apis/${GROUP}/${VERSION}/${PLURAL}`;
  const listFn = async () => {
    const list = (await custom.listClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      labelSelector: 'episode',
    })) as {
      items: Gizmo[];
      metadata: { resourceVersion: string };
    };
    return { items: list.items, metadata: list.metadata };
  };
  const cache = new ListWatch<Gizmo>(path, new Watch(h.kc), listFn, false, 'episode');
  await cache.start();
  await eventually(() => cache.list().length === 2);
  await custom.patchClusterCustomObjectStatus(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: 'lw-2',
      body: { status: { phase: 'Succeeded' } },
    },
    merge,
  );
  await eventually(() => cache.get('lw-2')?.status?.phase === 'Succeeded');
  await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: 'lw-1' });
  await eventually(() => cache.list().length === 1);
  await cache.stop();
});

describe('dry run of custom resources', () => {
  const SPROCKETS = 'sprockets';
  const base = `/apis/${GROUP}/${VERSION}/namespaces/default/${SPROCKETS}`;
  const sprocketsCrd: V1CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${SPROCKETS}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: SPROCKETS, singular: 'sprocket', kind: 'Sprocket' },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['teeth'],
                  properties: {
                    teeth: { type: 'integer', minimum: 3 },
                    finish: { type: 'string', _default: 'matte' },
                  },
                },
                status: { type: 'object', properties: { phase: { type: 'string' } } },
              },
            },
          },
        },
      ],
    },
  };
  const sprocket = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Sprocket',
    metadata: { name },
    spec,
  });
  const send = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const response = await fetch(`${h.server.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      warning: response.headers.get('warning'),
      body: (await response.json()) as Record<string, unknown> & {
        metadata?: Record<string, unknown>;
        spec?: Record<string, unknown>;
      },
    };
  };

  beforeAll(async () => {
    // A dry-run CRD create registers nothing: the resource is not served, the CRD is not there.
    const ext = h.kc.makeApiClient(ApiextensionsV1Api);
    const dryCrd = await ext.createCustomResourceDefinitionWithHttpInfo({
      body: sprocketsCrd,
      dryRun: 'All',
    });
    expect(dryCrd.httpStatusCode).toBe(201);
    expect((await send('GET', base)).status).toBe(404);
    expect(
      (await send('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${SPROCKETS}.${GROUP}`))
        .status,
    ).toBe(404);
    await ext.createCustomResourceDefinition({ body: sprocketsCrd });
  });

  test('a dry-run create answers 201 with the defaulted, pruned object; nothing is stored, watched or versioned', async () => {
    const events: string[] = [];
    const listed = (await send('GET', base)).body;
    const request = await new Watch(h.kc).watch(
      base,
      { resourceVersion: (listed.metadata as { resourceVersion: string }).resourceVersion },
      (type, obj: KubernetesObject) => events.push(`${type} ${obj.metadata?.name ?? ''}`),
      () => undefined,
    );
    await eventually(() => h.server.faults.activeWatches({ resource: SPROCKETS }) === 1);

    const dry = await send('POST', `${base}?dryRun=All`, sprocket('s1', { teeth: 12, colour: 'red' }));
    expect(dry.status).toBe(201);
    expect(dry.warning).toBe('299 - "unknown field \\"spec.colour\\""');
    expect(dry.body.spec).toEqual({ teeth: 12, finish: 'matte' });
    expect(dry.body.metadata).toMatchObject({ name: 's1', namespace: 'default', generation: 1 });
    expect(dry.body.metadata?.uid).toEqual(expect.any(String));
    expect(dry.body.metadata?.creationTimestamp).toEqual(expect.any(String));
    expect(dry.body.metadata?.resourceVersion).toBeUndefined();
    // The client's own dryRun parameter does the same.
    const viaClient = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'default',
      plural: SPROCKETS,
      body: sprocket('s1', { teeth: 5 }),
      dryRun: 'All',
    })) as KubernetesObject & { spec?: unknown };
    expect(viaClient.spec).toEqual({ teeth: 5, finish: 'matte' });

    expect((await send('GET', `${base}/s1`)).status).toBe(404);
    const after = (await send('GET', base)).body;
    expect(after.metadata).toEqual(listed.metadata);
    expect(after.items).toEqual([]);

    await send('POST', base, sprocket('s-real', { teeth: 4 }));
    await eventually(() => events.length > 0);
    expect(events).toEqual(['ADDED s-real']);
    request.abort();
  });

  test('a dry-run create of an invalid object gets the very 422 the real create gets', async () => {
    const bad = sprocket('s-bad', { teeth: 2 });
    const dry = await send('POST', `${base}?dryRun=All`, bad);
    const real = await send('POST', base, bad);
    expect(dry.status).toBe(422);
    expect(dry.body).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('Sprocket.test.chainmedic.io "s-bad" is invalid: spec.teeth'),
    });
    expect(dry).toEqual(real);
    const strict = await send(
      'POST',
      `${base}?dryRun=All&fieldValidation=Strict`,
      sprocket('s-x', { teeth: 3, x: 1 }),
    );
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.x"');
  });

  test('dry-run update, status patch and delete of a custom resource leave it as it was', async () => {
    const created = (
      await send('POST', base, {
        ...sprocket('s-kept', { teeth: 8 }),
        metadata: { name: 's-kept', finalizers: ['chainmedic.io/hold'] },
      })
    ).body;
    const path = `${base}/s-kept`;
    const replaced = await send('PUT', `${path}?dryRun=All`, { ...created, spec: { teeth: 9 } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.spec).toEqual({ teeth: 9, finish: 'matte' });
    expect(replaced.body.metadata).toMatchObject({
      generation: 2,
      resourceVersion: created.metadata!.resourceVersion,
    });
    const invalid = await send('PUT', `${path}?dryRun=All`, { ...created, spec: { teeth: 1 } });
    expect(invalid.status).toBe(422);
    const status = await send(
      'PATCH',
      `${path}/status?dryRun=All`,
      { status: { phase: 'Spinning' } },
      'application/merge-patch+json',
    );
    expect(status.status).toBe(200);
    expect(status.body.status).toEqual({ phase: 'Spinning' });
    const deleted = await send('DELETE', `${path}?dryRun=All`);
    expect(deleted.body.metadata?.deletionTimestamp).toEqual(expect.any(String));
    expect((await send('GET', path)).body).toEqual(created);
  });
});
