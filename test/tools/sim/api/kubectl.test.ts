import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, kubectlStream } from '../../../kit/kubectl.js';
import { eventually } from '../../../kit/eventually.js';
import { nodeObject, startFakeKubelet, startHarness, type Harness } from '../../../kit/sim-api.js';
import { EVENTS, NODES, PODS, type KubeObject } from '../../../../tools/sim/api/types.js';

let h: Harness;
let dir: string;
let kubelet: Awaited<ReturnType<typeof startFakeKubelet>> | undefined;
const run = (args: string[], input?: string) =>
  kubectl(h.kubeconfigPath, args, { cacheDir: join(dir, 'cache'), input });

const CRD_YAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.chainmedic.io
spec:
  group: test.chainmedic.io
  scope: Cluster
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wdg]
    categories: [chainmedic]
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources:
        status: {}
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
      additionalPrinterColumns:
        - name: Node
          type: string
          jsonPath: .spec.nodeName
        - name: Phase
          type: string
          jsonPath: .status.phase
        - name: Ready
          type: string
          jsonPath: .status.conditions[?(@.type=="Ready")].status
        - name: Age
          type: date
          jsonPath: .metadata.creationTimestamp
`;

function pod(name: string, nodeName: string, app: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'kube-system', labels: { 'k8s-app': app } },
    spec: { nodeName, containers: [{ name: app, image: `${app}:1` }] },
    status: {
      phase: 'Running',
      podIP: '10.244.0.17',
      containerStatuses: [
        {
          name: app,
          ready: false,
          restartCount: 4,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' },
          },
          lastState: {
            terminated: {
              exitCode: 1,
              reason: 'Error',
              finishedAt: new Date(Date.now() - 30_000).toISOString(),
            },
          },
        },
      ],
    },
  };
}

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-'));
  const n1 = nodeObject('aks-nodepool1-00000000-vmss000000', { 'node-role.kubernetes.io/agent': '' });
  h.store.create(NODES, n1);
  h.store.create(NODES, nodeObject('aks-nodepool1-00000000-vmss000001'));
  const npm = h.store.create(PODS, pod('azure-npm-abcde', 'aks-nodepool1-00000000-vmss000000', 'azure-npm'));
  h.store.create(PODS, pod('coredns-12345', 'aks-nodepool1-00000000-vmss000001', 'coredns'));
  kubelet = await startFakeKubelet(
    h.store,
    'aks-nodepool1-00000000-vmss000000',
    'aks-nodepool1-00000000-vmss000001',
  );
  kubelet.logs.started(
    'kube-system',
    'azure-npm-abcde',
    'azure-npm',
    'I1008 05:38:40.000000 1 main.go:1] first attempt detecting iptables version...\nfailed to detect iptables version: unable to locate which iptables version kube proxy is using\n',
  );
  kubelet.logs.started('kube-system', 'azure-npm-abcde', 'azure-npm', '');
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  h.store.create(EVENTS, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'azure-npm-abcde.17a8b', namespace: 'kube-system' },
    involvedObject: { kind: 'Pod', name: 'azure-npm-abcde', namespace: 'kube-system', uid: npm.metadata.uid },
    reason: 'BackOff',
    type: 'Warning',
    message: 'Back-off restarting failed container azure-npm in pod azure-npm-abcde_kube-system',
    count: 7,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: 'kubelet', host: 'aks-nodepool1-00000000-vmss000000' },
  });
});

afterAll(async () => {
  await kubelet?.close();
  await h.stop();
  await rm(dir, { recursive: true, force: true });
});

test('get nodes prints the real columns; -o wide adds addresses', async () => {
  const plain = await run(['get', 'nodes']);
  expect(plain.code).toBe(0);
  const lines = plain.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
  expect(lines[1]).toMatch(/^aks-nodepool1-00000000-vmss000000\s+Ready\s+agent\s+\d+s\s+v1\.32\.4$/);
  const wide = await run(['get', 'nodes', '-o', 'wide']);
  expect(wide.stdout.split('\n')[0]).toContain('INTERNAL-IP');
  expect(wide.stdout).toContain('127.0.0.1'); // the address of its kubelet API (startFakeKubelet)
});

test('cordon and uncordon patch spec.unschedulable', async () => {
  const name = 'aks-nodepool1-00000000-vmss000001';
  expect((await run(['cordon', name])).stdout).toContain('cordoned');
  expect((h.store.get(NODES, undefined, name)!.spec as { unschedulable?: boolean }).unschedulable).toBe(true);
  expect((await run(['get', 'node', name])).stdout).toContain('Ready,SchedulingDisabled');
  expect((await run(['uncordon', name])).stdout).toContain('uncordoned');
  expect(
    (h.store.get(NODES, undefined, name)!.spec as { unschedulable?: boolean }).unschedulable,
  ).toBeFalsy();
});

test('annotate and label, then select by label', async () => {
  const name = 'aks-nodepool1-00000000-vmss000000';
  expect((await run(['annotate', 'node', name, 'chainmedic.io/opt-out=true'])).code).toBe(0);
  expect((await run(['label', 'node', name, 'pool=blue'])).code).toBe(0);
  const stored = h.store.get(NODES, undefined, name)!;
  expect(stored.metadata.annotations).toMatchObject({ 'chainmedic.io/opt-out': 'true' });
  expect(stored.metadata.labels).toMatchObject({ pool: 'blue' });
  const selected = await run(['get', 'nodes', '-l', 'pool=blue', '-o', 'name']);
  expect(selected.stdout.trim()).toBe(`node/${name}`);
  expect((await run(['annotate', 'node', name, 'chainmedic.io/opt-out-'])).code).toBe(0);
  expect(
    h.store.get(NODES, undefined, name)!.metadata.annotations?.['chainmedic.io/opt-out'],
  ).toBeUndefined();
});

test('describe node shows its labels, conditions and the pods on it', async () => {
  const result = await run(['describe', 'node', 'aks-nodepool1-00000000-vmss000000']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^Name:\s+aks-nodepool1-00000000-vmss000000$/m);
  expect(result.stdout).toMatch(/Ready\s+True/);
  expect(result.stdout).toContain('azure-npm-abcde');
  expect(result.stdout).not.toContain('coredns-12345');
});

test('get pods with a label selector and -o wide', async () => {
  const result = await run(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=azure-npm', '-o', 'wide']);
  expect(result.code).toBe(0);
  const [header, row, extra] = result.stdout.trim().split('\n');
  expect(header).toMatch(
    /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/,
  );
  expect(row).toMatch(
    /^azure-npm-abcde\s+0\/1\s+CrashLoopBackOff\s+4 \(\d+s ago\)\s+\d+s\s+10\.244\.0\.17\s+aks-nodepool1-00000000-vmss000000\s/,
  );
  expect(extra).toBeUndefined();
});

test('logs --previous returns the crashed container log', async () => {
  const result = await run(['logs', '-n', 'kube-system', 'azure-npm-abcde', '--previous']);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('failed to detect iptables version');
  const tail = await run(['logs', '-n', 'kube-system', 'azure-npm-abcde', '--previous', '--tail', '1']);
  expect(tail.stdout.trim().split('\n')).toHaveLength(1);
  const none = await run(['logs', '-n', 'kube-system', 'coredns-12345', '--previous']);
  expect(none.code).not.toBe(0);
  expect(none.stderr).toContain('previous terminated container');
});

test('get events shows the BackOff warning', async () => {
  const result = await run(['get', 'events', '-n', 'kube-system']);
  expect(result.code).toBe(0);
  expect(result.stdout.split('\n')[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
  expect(result.stdout).toMatch(
    /\(x7 over \d+s\)\s+Warning\s+BackOff\s+pod\/azure-npm-abcde\s+Back-off restarting/,
  );
  const selected = await run([
    'get',
    'events',
    '-A',
    '--field-selector',
    'reason=BackOff,involvedObject.kind=Pod',
    '-o',
    'name',
  ]);
  expect(selected.stdout.trim()).toBe('event/azure-npm-abcde.17a8b');
});

test('apply a CRD, then create, get (printer columns, short name) and describe a custom object', async () => {
  const crdPath = join(dir, 'crd.yaml');
  await writeFile(crdPath, CRD_YAML);
  const applied = await run(['apply', '-f', crdPath]);
  expect(applied.stderr).toBe('');
  expect(applied.stdout).toContain(
    'customresourcedefinition.apiextensions.k8s.io/widgets.test.chainmedic.io created',
  );
  expect(
    (
      await run([
        'wait',
        '--for',
        'condition=Established',
        'crd/widgets.test.chainmedic.io',
        '--timeout',
        '10s',
      ])
    ).code,
  ).toBe(0);
  expect((await run(['apply', '-f', crdPath])).stdout).toContain('unchanged');

  const objectYaml =
    'apiVersion: test.chainmedic.io/v1alpha1\nkind: Widget\nmetadata:\n  name: w-1\nspec:\n  nodeName: aks-nodepool1-00000000-vmss000000\n';
  const created = await run(['create', '-f', '-'], objectYaml);
  expect(created.stdout).toContain('widget.test.chainmedic.io/w-1 created');
  const key = { group: 'test.chainmedic.io', resource: 'widgets' };
  h.store.patch(
    key,
    undefined,
    'w-1',
    'merge',
    { status: { phase: 'Cordoned', conditions: [{ type: 'Ready', status: 'False' }] } },
    { subresource: 'status' },
  );

  const table = await run(['get', 'wdg']);
  expect(table.code).toBe(0);
  const [header, row] = table.stdout.trim().split('\n');
  expect(header).toMatch(/^NAME\s+NODE\s+PHASE\s+READY\s+AGE$/);
  expect(row).toMatch(/^w-1\s+aks-nodepool1-00000000-vmss000000\s+Cordoned\s+False\s+\d+s$/);
  expect((await run(['get', 'chainmedic', '-o', 'name'])).stdout.trim()).toBe(
    'widget.test.chainmedic.io/w-1',
  );
  const described = await run(['describe', 'widget', 'w-1']);
  expect(described.stdout).toMatch(/Phase:\s+Cordoned/);
  const yaml = await run(['get', 'widget', 'w-1', '-o', 'jsonpath={.metadata.generation}']);
  expect(yaml.stdout).toBe('1');
});

test('get --watch streams changes until stopped', async () => {
  const name = 'aks-nodepool1-00000000-vmss000001';
  const watch = kubectlStream(h.kubeconfigPath, ['get', 'nodes', '--watch'], join(dir, 'cache'));
  try {
    await eventually(() => watch.output().includes(name), `kubectl --watch printed ${name}`, 10_000);
    h.store.patch(NODES, undefined, name, 'merge', { spec: { unschedulable: true } });
    await eventually(
      () => watch.output().includes('Ready,SchedulingDisabled'),
      'kubectl --watch printed the cordon',
      10_000,
    );
  } finally {
    await watch.stop();
  }
  const lines = watch.output().trim().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+STATUS/);
  expect(lines.filter((l) => l.startsWith('NAME'))).toHaveLength(1);
});

test('--dry-run=server: create, label and delete answer as the real server and change nothing', async () => {
  const rv = h.store.resourceVersion();
  const job = JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'dry-run-job', namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const created = await run(['create', '--dry-run=server', '-f', '-', '-o', 'json'], job);
  expect(created.code).toBe(0);
  const object = JSON.parse(created.stdout) as { metadata: Record<string, unknown> };
  expect(object.metadata).toMatchObject({ name: 'dry-run-job', namespace: 'default' });
  expect(object.metadata.uid).toEqual(expect.any(String));
  expect(object.metadata.resourceVersion).toBeUndefined();
  expect((await run(['get', 'job', 'dry-run-job', '-n', 'default'])).stderr).toContain('NotFound');

  const node = 'aks-nodepool1-00000000-vmss000001';
  const labelled = await run(['label', 'node', node, 'dry=run', '--dry-run=server']);
  expect(labelled.stdout).toContain('labeled (server dry run)');
  expect(h.store.get(NODES, undefined, node)!.metadata.labels?.dry).toBeUndefined();
  const deleted = await run(['delete', 'node', node, '--dry-run=server']);
  expect(deleted.stdout).toContain('deleted (server dry run)');
  expect(h.store.get(NODES, undefined, node)).toBeDefined();
  expect(h.store.resourceVersion()).toBe(rv);
});
