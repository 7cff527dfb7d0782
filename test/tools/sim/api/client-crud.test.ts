import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Job,
  type V1Lease,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { eventually } from '../../../kit/eventually.js';
import {
  apiFailure,
  nodeObject,
  startFakeKubelet,
  startHarness,
  type Harness,
} from '../../../kit/sim-api.js';

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
  // Merged by name, in kube-apiserver's order: an item new to the list before the ones the patch does not name.
  expect(strategic.spec?.containers.map((c) => c.name)).toEqual(['sidecar', 'azure-npm']);
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

test("pod logs from the node's kubelet: previous, tailLines, limitBytes, and 400 without a previous container", async () => {
  const kubelet = await startFakeKubelet(h.store, 'node-a');
  try {
    await core.createNamespacedPod({ namespace: 'default', body: podBody('logged', 'node-a') });
    kubelet.logs.started(
      'default',
      'logged',
      'azure-npm',
      'line1\nline2\nfailed to detect iptables version: unable to locate which iptables version kube proxy is using\n',
    );
    kubelet.logs.started('default', 'logged', 'azure-npm', 'starting\n');
    const previous = await core.readNamespacedPodLog({
      name: 'logged',
      namespace: 'default',
      previous: true,
    });
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
  } finally {
    await kubelet.close();
  }
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

function jobBody(name: string): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'dry' } },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'chainmedic' }] } },
    },
  };
}

/** Every event of a watch on the default namespace's Jobs opened now, until the test ends. */
async function watchJobs(): Promise<{ events: string[]; stop: () => void }> {
  const events: string[] = [];
  const from = (await h.kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: 'default' })).metadata!
    .resourceVersion;
  const before = h.server.faults.activeWatches({ resource: 'jobs' });
  const request = await new Watch(h.kc).watch(
    '/apis/batch/v1/namespaces/default/jobs',
    { resourceVersion: from },
    (type, obj: { metadata?: { name?: string } }) => events.push(`${type} ${obj.metadata?.name ?? ''}`),
    () => undefined,
  );
  await eventually(() => h.server.faults.activeWatches({ resource: 'jobs' }) === before + 1);
  return { events, stop: () => request.abort() };
}

test('dry-run create of a Job: 201 with the object as created, then nothing stored, watched or versioned', async () => {
  const batch = h.kc.makeApiClient(BatchV1Api);
  h.server.requests.reset();
  const watch = await watchJobs();
  const listed = await batch.listNamespacedJob({ namespace: 'default' });
  const storeRv = h.store.resourceVersion();

  const dry = await batch.createNamespacedJobWithHttpInfo({
    namespace: 'default',
    body: jobBody('dry-job'),
    dryRun: 'All',
  });
  expect(dry.httpStatusCode).toBe(201);
  expect(dry.data.metadata).toMatchObject({ name: 'dry-job', namespace: 'default', generation: 1 });
  expect(dry.data.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(dry.data.metadata?.creationTimestamp).toBeInstanceOf(Date);
  // A real server's dry-run create fills in no resourceVersion: nothing was written to etcd.
  expect(dry.data.metadata?.resourceVersion).toBeUndefined();

  expect(
    (await apiFailure(() => batch.readNamespacedJob({ name: 'dry-job', namespace: 'default' }))).code,
  ).toBe(404);
  const after = await batch.listNamespacedJob({ namespace: 'default' });
  expect(after.metadata?.resourceVersion).toBe(listed.metadata?.resourceVersion);
  expect(after.items.map((j) => j.metadata?.name)).not.toContain('dry-job');
  expect(h.store.resourceVersion()).toBe(storeRv);

  // The watch gets the next real write and nothing before it.
  await batch.createNamespacedJob({ namespace: 'default', body: jobBody('real-job') });
  await eventually(() => watch.events.length > 0);
  expect(watch.events).toEqual(['ADDED real-job']);
  watch.stop();

  const recent = h.server.requests.recent().filter((r) => r.verb === 'create' && r.resource === 'jobs');
  expect(recent.map((r) => ({ code: r.code, dryRun: r.dryRun }))).toEqual([
    { code: 201, dryRun: true },
    { code: 201, dryRun: undefined },
  ]);
  expect(h.server.requests.total({ verb: 'create', resource: 'jobs', dryRun: false })).toBe(1);
  expect(h.server.requests.total({ verb: 'create', resource: 'jobs', dryRun: true })).toBe(1);
});

test('dry runs answer the same errors as the real writes: AlreadyExists, NotFound, missing namespace', async () => {
  const batch = h.kc.makeApiClient(BatchV1Api);
  await batch.createNamespacedJob({ namespace: 'default', body: jobBody('taken') });
  const exists = await apiFailure(() =>
    batch.createNamespacedJob({ namespace: 'default', body: jobBody('taken'), dryRun: 'All' }),
  );
  expect(exists.code).toBe(409);
  expect(exists.status).toMatchObject({
    reason: 'AlreadyExists',
    message: 'jobs.batch "taken" already exists',
  });
  const nowhere = await apiFailure(() =>
    batch.createNamespacedJob({ namespace: 'nowhere', body: jobBody('x'), dryRun: 'All' }),
  );
  expect(nowhere.status).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
  const missing = await apiFailure(() =>
    batch.deleteNamespacedJob({ name: 'never', namespace: 'default', dryRun: 'All' }),
  );
  expect(missing.status).toMatchObject({ code: 404, message: 'jobs.batch "never" not found' });
  const absent = await apiFailure(() =>
    batch.patchNamespacedJob(
      { name: 'never', namespace: 'default', body: { metadata: { labels: { a: 'b' } } }, dryRun: 'All' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ),
  );
  expect(absent.code).toBe(404);
});

test('dry-run update, patch, status update and delete answer the result and leave the Job as it was', async () => {
  const batch = h.kc.makeApiClient(BatchV1Api);
  const job = await batch.createNamespacedJob({ namespace: 'default', body: jobBody('kept') });
  const rv = job.metadata!.resourceVersion!;
  const storeRv = h.store.resourceVersion();
  const watch = await watchJobs();
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  const replaced = await batch.replaceNamespacedJob({
    name: 'kept',
    namespace: 'default',
    body: { ...job, spec: { ...job.spec!, backoffLimit: 3 } },
    dryRun: 'All',
  });
  expect(replaced.spec?.backoffLimit).toBe(3);
  expect(replaced.metadata?.resourceVersion).toBe(rv);
  expect(replaced.metadata?.generation).toBe(2);
  const patched = await batch.patchNamespacedJob(
    { name: 'kept', namespace: 'default', body: { metadata: { labels: { patched: 'yes' } } }, dryRun: 'All' },
    merge,
  );
  expect(patched.metadata?.labels).toMatchObject({ patched: 'yes' });
  expect(patched.metadata?.resourceVersion).toBe(rv);
  const status = await batch.patchNamespacedJobStatus(
    { name: 'kept', namespace: 'default', body: { status: { active: 1 } }, dryRun: 'All' },
    merge,
  );
  expect(status.status?.active).toBe(1);
  const replacedStatus = await batch.replaceNamespacedJobStatus({
    name: 'kept',
    namespace: 'default',
    body: { ...job, status: { failed: 1 } },
    dryRun: 'All',
  });
  expect(replacedStatus.status?.failed).toBe(1);
  const deleted = await batch.deleteNamespacedJobWithHttpInfo({
    name: 'kept',
    namespace: 'default',
    propagationPolicy: 'Background',
    dryRun: 'All',
  });
  expect(deleted.httpStatusCode).toBe(200);

  const now = await batch.readNamespacedJob({ name: 'kept', namespace: 'default' });
  expect(now).toEqual(job);
  expect(h.store.resourceVersion()).toBe(storeRv);
  // A stale resourceVersion is a Conflict, dry or not.
  await batch.patchNamespacedJob(
    { name: 'kept', namespace: 'default', body: { metadata: { labels: { real: 'yes' } } } },
    merge,
  );
  const stale = await apiFailure(() =>
    batch.replaceNamespacedJob({ name: 'kept', namespace: 'default', body: job, dryRun: 'All' }),
  );
  expect(stale.status.reason).toBe('Conflict');
  await eventually(() => watch.events.length > 0);
  expect(watch.events).toEqual(['MODIFIED kept']);
  watch.stop();
});

test('dryRun other than All is 422 on every write; reads ignore it', async () => {
  const post = await fetch(`${h.server.url}/apis/batch/v1/namespaces/default/jobs?dryRun=foo`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(jobBody('never-created')),
  });
  expect(post.status).toBe(422);
  expect(await post.json()).toEqual({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["foo"]: supported values: "All"',
    reason: 'Invalid',
    code: 422,
    details: {
      group: 'meta.k8s.io',
      kind: 'CreateOptions',
      causes: [
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: ["foo"]: supported values: "All"',
          field: 'dryRun',
        },
      ],
    },
  });
  const batch = h.kc.makeApiClient(BatchV1Api);
  await batch.createNamespacedJob({ namespace: 'default', body: jobBody('foo-target') });
  const path = `${h.server.url}/apis/batch/v1/namespaces/default/jobs/foo-target`;
  const del = await fetch(`${path}?dryRun=foo`, { method: 'DELETE' });
  expect(del.status).toBe(422);
  expect(((await del.json()) as { message: string }).message).toMatch(
    /^DeleteOptions\.meta\.k8s\.io "" is invalid/,
  );
  const patch = await fetch(`${path}/status?dryRun=All&dryRun=foo`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ status: { active: 1 } }),
  });
  expect(patch.status).toBe(422);
  expect(((await patch.json()) as { message: string }).message).toContain('PatchOptions.meta.k8s.io');
  expect(
    (await batch.readNamespacedJob({ name: 'foo-target', namespace: 'default' })).status?.active,
  ).toBeUndefined();
  expect(
    (await apiFailure(() => batch.readNamespacedJob({ name: 'never-created', namespace: 'default' }))).code,
  ).toBe(404);
  expect((await fetch(`${path}?dryRun=foo`)).status).toBe(200);
  expect((await fetch(`${h.server.url}/apis/batch/v1/namespaces/default/jobs?dryRun=foo`)).status).toBe(200);
});

test('a delete with a DeleteOptions body takes dryRun from the body, not the query (as a real server)', async () => {
  const batch = h.kc.makeApiClient(BatchV1Api);
  await batch.createNamespacedJob({ namespace: 'default', body: jobBody('body-dry') });
  await batch.createNamespacedJob({ namespace: 'default', body: jobBody('query-ignored') });
  const base = `${h.server.url}/apis/batch/v1/namespaces/default/jobs`;
  const dry = await fetch(`${base}/body-dry`, {
    method: 'DELETE',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] }),
  });
  expect(dry.status).toBe(200);
  expect(await batch.readNamespacedJob({ name: 'body-dry', namespace: 'default' })).toBeDefined();
  const real = await fetch(`${base}/query-ignored?dryRun=All`, {
    method: 'DELETE',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ propagationPolicy: 'Background' }),
  });
  expect(real.status).toBe(200);
  expect(
    (await apiFailure(() => batch.readNamespacedJob({ name: 'query-ignored', namespace: 'default' }))).code,
  ).toBe(404);
});
