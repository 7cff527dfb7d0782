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
import { apiFailure, eventually, startHarness, type Harness } from './harness.js';

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
