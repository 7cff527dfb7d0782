import { CoreV1Api, Watch } from '@kubernetes/client-node';
import { eventually } from '../../../kit/eventually.js';
import { startHarness, type Harness } from '../../../kit/sim-api.js';
import { NODES, type KubeObject } from '../../../../tools/sim/api/types.js';

// Correctness at a size where copying or re-serializing the whole store per request would show up.
const NODE_COUNT = 2000;
const WATCHERS = 10;
const UPDATES = 300;

const images = Array.from({ length: 25 }, (_, i) => ({
  names: [
    `mcr.microsoft.com/oss/kubernetes/image-${i}@sha256:${'a'.repeat(64)}`,
    `mcr.microsoft.com/oss/kubernetes/image-${i}:v1.2.${i}`,
  ],
  sizeBytes: 123_456_789 + i,
}));

function realisticNode(i: number): KubeObject {
  const name = `aks-nodepool1-00000000-vmss${String(i).padStart(6, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': name, agentpool: 'nodepool1' },
    },
    spec: {
      providerID: `azure:///subscriptions/0000/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
      podCIDR: '10.244.0.0/24',
    },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2026-11-24T00:00:00Z' },
      ],
      images,
      nodeInfo: { kubeletVersion: 'v1.32.4', osImage: 'Ubuntu 22.04.5 LTS' },
    },
  };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (let i = 0; i < NODE_COUNT; i++) h.store.create(NODES, realisticNode(i));
});
afterAll(async () => {
  await h.stop();
});

test('paged list of every node through the real client returns each exactly once', async () => {
  const core = h.kc.makeApiClient(CoreV1Api);
  const seen = new Set<string>();
  let cont: string | undefined;
  do {
    const page = await core.listNode({ limit: 500, _continue: cont });
    for (const node of page.items) seen.add(node.metadata!.name!);
    cont = page.metadata?._continue;
  } while (cont);
  expect(seen.size).toBe(NODE_COUNT);
});

test('every watcher receives every status update, in order', async () => {
  const from = h.store.resourceVersion();
  const received: string[][] = Array.from({ length: WATCHERS }, () => []);
  const controllers: AbortController[] = [];
  for (let w = 0; w < WATCHERS; w++) {
    controllers.push(
      await new Watch(h.kc).watch(
        '/api/v1/nodes',
        { resourceVersion: from },
        (_type, obj: { metadata: { resourceVersion: string } }) =>
          received[w]!.push(obj.metadata.resourceVersion),
        () => undefined,
      ),
    );
  }
  await eventually(() => h.server.faults.activeWatches() === WATCHERS);
  for (let k = 0; k < UPDATES; k++) {
    const name = `aks-nodepool1-00000000-vmss${String(k % NODE_COUNT).padStart(6, '0')}`;
    h.store.patch(
      NODES,
      undefined,
      name,
      'merge',
      { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: `t${k}` }] } },
      { subresource: 'status' },
    );
  }
  await eventually(
    () => received.every((r) => r.length === UPDATES),
    'every watcher got every update',
    30_000,
  );
  const expected = received[0]!;
  expect(expected.map(Number)).toEqual([...expected.map(Number)].sort((a, b) => a - b));
  for (const r of received) expect(r).toEqual(expected);
  controllers.forEach((c) => c.abort());
});
