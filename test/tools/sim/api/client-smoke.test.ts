import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { startHarness, nodeObject, type Harness } from '../../../kit/sim-api.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

test('create, get, list, merge-patch a node over HTTP with the real client', async () => {
  const core = h.kc.makeApiClient(CoreV1Api);
  const created = await core.createNode({ body: nodeObject('n1') as V1Node });
  expect(created.metadata?.uid).toBeTruthy();
  const got = await core.readNode({ name: 'n1' });
  expect(got.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  const list = await core.listNode();
  expect(list.items.map((n) => n.metadata?.name)).toEqual(['n1']);
  const patched = await core.patchNode(
    { name: 'n1', body: { spec: { unschedulable: true } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  expect(patched.spec?.unschedulable).toBe(true);
  expect(patched.metadata?.generation).toBe(2);
});
