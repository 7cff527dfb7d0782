import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Job,
  type V1Lease,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { apiFailure, nodeObject, startHarness, type Harness } from './harness.js';

let h: Harness;
let core: CoreV1Api;
beforeAll(async () => {
  h = await startHarness();
  core = h.kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await h.stop();
});

function podBody(name: string, nodeName: string, labels: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      nodeName,
      containers: [{ name: 'azure-npm', image: 'mcr.microsoft.com/containernetworking/azure-npm:v1.5.45' }],
    },
  };
}

test('list in pages covers every node exactly once, in a consistent snapshot', async () => {
  for (let i = 0; i < 23; i++)
    await core.createNode({ body: nodeObject(`page-${String(i).padStart(2, '0')}`) as V1Node });
  const names: string[] = [];
  let cont: string | undefined;
  let rv: string | undefined;
  let pages = 0;
  do {
    const page = await core.listNode({ limit: 5, _continue: cont, labelSelector: 'kubernetes.io/os=linux' });
    pages++;
    rv ??= page.metadata?.resourceVersion;
    expect(page.metadata?.resourceVersion).toBe(rv);
    names.push(...page.items.map((n) => n.metadata!.name!));
    cont = page.metadata?._continue;
    if (pages === 2) await core.deleteNode({ name: 'page-20' }); // after the snapshot: still listed
  } while (cont);
  expect(pages).toBe(5);
  expect(names.filter((n) => n.startsWith('page-'))).toHaveLength(23);
  expect(new Set(names).size).toBe(names.length);
});

test('get of a missing object is a 404 NotFound Status', async () => {
  const failure = await apiFailure(() => core.readNode({ name: 'does-not-exist' }));
  expect(failure.code).toBe(404);
  expect(failure.status).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
});

test('create twice is 409 AlreadyExists; stale replace is 409 Conflict', async () => {
  const created = await core.createNode({ body: nodeObject('dup') as V1Node });
  expect((await apiFailure(() => core.createNode({ body: nodeObject('dup') as V1Node }))).status.reason).toBe(
    'AlreadyExists',
  );
  await core.patchNode({ name: 'dup', body: [{ op: 'add', path: '/metadata/labels/x', value: '1' }] });
  const stale = await apiFailure(() => core.replaceNode({ name: 'dup', body: created }));
  expect(stale.code).toBe(409);
  expect(stale.status.reason).toBe('Conflict');
});

test('json-patch (the client default) with a test op; a failing test op is rejected', async () => {
  await core.createNode({ body: nodeObject('jp') as V1Node });
  const patched = await core.patchNode({
    name: 'jp',
    body: [
      { op: 'test', path: '/metadata/name', value: 'jp' },
      { op: 'add', path: '/spec/unschedulable', value: true },
    ],
  });
  expect(patched.spec?.unschedulable).toBe(true);
  const failed = await apiFailure(() =>
    core.patchNode({ name: 'jp', body: [{ op: 'test', path: '/spec/unschedulable', value: false }] }),
  );
  expect(failed.code).toBe(422);
});

test('merge-patch and strategic-merge-patch via setHeaderOptions', async () => {
  await core.createNode({ body: nodeObject('mp') as V1Node });
  const merged = await core.patchNode(
    {
      name: 'mp',
      body: {
        metadata: { annotations: { 'chainmedic.io/cordoned-by': 'nrem-1' } },
        spec: { unschedulable: true },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  expect(merged.metadata?.annotations).toEqual({ 'chainmedic.io/cordoned-by': 'nrem-1' });
  const unset = await core.patchNode(
    { name: 'mp', body: { metadata: { annotations: { 'chainmedic.io/cordoned-by': null } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  expect(unset.metadata?.annotations ?? {}).toEqual({});

  await core.createNamespacedPod({ namespace: 'default', body: podBody('smp', 'mp') });
  const strategic = await core.patchNamespacedPod(
    {
      name: 'smp',
      namespace: 'default',
      body: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  expect(strategic.spec?.containers.map((c) => c.name)).toEqual(['azure-npm', 'sidecar']);
  const unsupported = await apiFailure(() =>
    core.patchNamespacedPod(
      { name: 'smp', namespace: 'default', body: { spec: {} } },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ),
  );
  expect(unsupported.code).toBe(415);
});

test('status subresource and generation over HTTP', async () => {
  const created = await core.createNode({ body: nodeObject('st') as V1Node });
  expect(created.metadata?.generation).toBe(1);
  const specOnly = await core.replaceNode({
    name: 'st',
    body: {
      ...created,
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    },
  });
  expect(specOnly.metadata?.generation).toBe(2);
  expect(specOnly.status?.conditions?.[0]?.status).toBe('True');
  const statusOnly = await core.patchNodeStatus(
    {
      name: 'st',
      body: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  expect(statusOnly.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  expect(statusOnly.metadata?.generation).toBe(2);
  expect(statusOnly.spec?.unschedulable).toBe(true);
});

test('pods created over HTTP start Pending; label and field selectors filter lists', async () => {
  const pod = await core.createNamespacedPod({
    namespace: 'kube-system',
    body: { ...podBody('npm-a', 'node-a', { 'k8s-app': 'azure-npm' }), status: { phase: 'Running' } },
  });
  expect(pod.status?.phase).toBe('Pending');
  await core.createNamespacedPod({
    namespace: 'kube-system',
    body: podBody('npm-b', 'node-b', { 'k8s-app': 'azure-npm' }),
  });
  await core.createNamespacedPod({
    namespace: 'kube-system',
    body: podBody('other', 'node-a', { 'k8s-app': 'coredns' }),
  });
  const byLabel = await core.listNamespacedPod({
    namespace: 'kube-system',
    labelSelector: 'k8s-app in (azure-npm)',
  });
  expect(byLabel.items.map((p) => p.metadata?.name)).toEqual(['npm-a', 'npm-b']);
  const byField = await core.listPodForAllNamespaces({
    fieldSelector: 'spec.nodeName=node-a',
    labelSelector: 'k8s-app!=coredns',
  });
  expect(byField.items.map((p) => p.metadata?.name)).toEqual(['npm-a']);
  const bad = await apiFailure(() => core.listPodForAllNamespaces({ labelSelector: 'a in (b' }));
  expect(bad.code).toBe(400);
});

test('pod logs: previous, tailLines, limitBytes, and 400 without a previous container', async () => {
  await core.createNamespacedPod({ namespace: 'default', body: podBody('logged', 'node-a') });
  h.store.setPodLog('default', 'logged', 'azure-npm', {
    current: 'starting\n',
    previous:
      'line1\nline2\nfailed to detect iptables version: unable to locate which iptables version kube proxy is using\n',
  });
  const previous = await core.readNamespacedPodLog({ name: 'logged', namespace: 'default', previous: true });
  expect(previous).toContain('failed to detect iptables version');
  const tail = await core.readNamespacedPodLog({
    name: 'logged',
    namespace: 'default',
    previous: true,
    tailLines: 1,
  });
  expect(tail).toBe(
    'failed to detect iptables version: unable to locate which iptables version kube proxy is using\n',
  );
  const limited = await core.readNamespacedPodLog({
    name: 'logged',
    namespace: 'default',
    container: 'azure-npm',
    limitBytes: 5,
  });
  expect(limited).toBe('start');
  await core.createNamespacedPod({ namespace: 'default', body: podBody('fresh', 'node-a') });
  expect(
    (
      await apiFailure(() =>
        core.readNamespacedPodLog({ name: 'fresh', namespace: 'default', previous: true }),
      )
    ).code,
  ).toBe(400);
});

test('garbage collection: deleting a Job with background propagation deletes its pods', async () => {
  const batch = h.kc.makeApiClient(BatchV1Api);
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'remediate-node-a' },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'chainmedic' }] } },
    },
  };
  const created = await batch.createNamespacedJob({ namespace: 'default', body: job });
  const owner = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: 'remediate-node-a',
    uid: created.metadata!.uid!,
    controller: true,
  };
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      ...podBody('remediate-node-a-xyz', 'node-a', { 'job-name': 'remediate-node-a' }),
      metadata: {
        name: 'remediate-node-a-xyz',
        labels: { 'job-name': 'remediate-node-a' },
        ownerReferences: [owner],
      },
    },
  });
  const status = await batch.patchNamespacedJobStatus(
    { name: 'remediate-node-a', namespace: 'default', body: { status: { active: 1 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  expect(status.status?.active).toBe(1);
  await batch.deleteNamespacedJob({
    name: 'remediate-node-a',
    namespace: 'default',
    propagationPolicy: 'Background',
  });
  const left = await core.listNamespacedPod({
    namespace: 'default',
    labelSelector: 'job-name=remediate-node-a',
  });
  expect(left.items).toHaveLength(0);
});

test('leases: create and compare-and-swap renew like leader election does', async () => {
  const coord = h.kc.makeApiClient(CoordinationV1Api);
  const lease: V1Lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'chainmedic-leader' },
    spec: {
      holderIdentity: 'pod-a',
      leaseDurationSeconds: 15,
      acquireTime: new Date(),
      renewTime: new Date(),
    },
  };
  const created = await coord.createNamespacedLease({ namespace: 'kube-system', body: lease });
  const renewed = await coord.replaceNamespacedLease({
    name: 'chainmedic-leader',
    namespace: 'kube-system',
    body: { ...created, spec: { ...created.spec, renewTime: new Date() } },
  });
  expect(renewed.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion);
  const loser = await apiFailure(() =>
    coord.replaceNamespacedLease({
      name: 'chainmedic-leader',
      namespace: 'kube-system',
      body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-b' } },
    }),
  );
  expect(loser.code).toBe(409);
  const read = await coord.readNamespacedLease({ name: 'chainmedic-leader', namespace: 'kube-system' });
  expect(read.spec?.holderIdentity).toBe('pod-a');
});

test('namespaced create into a missing namespace is 404', async () => {
  const failure = await apiFailure(() =>
    core.createNamespacedPod({ namespace: 'nowhere', body: podBody('x', 'n') }),
  );
  expect(failure.code).toBe(404);
});
