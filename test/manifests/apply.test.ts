import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEnv, type Env } from '../kit/env.js';
import { kubectl } from '../kit/kubectl.js';
import { BUILDS, kustomize } from './build.js';

let env: Env;
let cacheDir: string;
const run = (args: string[], input?: string) =>
  kubectl(env.cluster.kubeconfigPath, args, { cacheDir, ...(input !== undefined ? { input } : {}) });

beforeAll(async () => {
  // No chainmedic-system or chainmedic-agent namespace, CRD or policy yet: the manifests create them.
  env = await startEnv({ linuxNodes: 2, namespaces: [], crds: false, policy: null });
  cacheDir = await mkdtemp(join(tmpdir(), 'chainmedic-kubectl-cache-'));
});
afterAll(async () => {
  await env?.close();
  await rm(cacheDir, { recursive: true, force: true });
});

test('the sim serves every kind in the install', async () => {
  const kinds = new Set((await kustomize(BUILDS.base)).map((o) => o.kind));
  const served = new Set([
    ...env.cluster.store.registry.all().map((d) => d.kind),
    'CustomResourceDefinition',
  ]);
  for (const kind of kinds) expect([...served]).toContain(kind);
});

test('kubectl apply -k manifests/ installs everything, twice, and the CRDs are usable', async () => {
  const first = await run(['apply', '-k', BUILDS.base]);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(
    'customresourcedefinition.apiextensions.k8s.io/noderemediations.chainmedic.io',
  );
  expect(first.stdout).toContain('deployment.apps/chainmedic-operator');
  expect(first.stdout).toContain(
    'validatingwebhookconfiguration.admissionregistration.k8s.io/chainmedic-webhook',
  );

  const established = await run([
    'get',
    'crd',
    'noderemediations.chainmedic.io',
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Established")].status}',
  ]);
  expect(established.stdout).toBe('True');

  const node = env.cluster.linuxNodeNames()[0]!;
  const created = await run(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'chainmedic.io/v1alpha1',
      kind: 'NodeRemediation',
      metadata: { name: 'manual-1' },
      spec: { nodeName: node, trigger: { source: 'Manual' } },
    }),
  );
  expect(created.code).toBe(0);
  const listed = await run(['get', 'nrem', '-o', 'name']);
  expect(listed.stdout.trim()).toBe('noderemediation.chainmedic.io/manual-1');

  const again = await run(['apply', '-k', BUILDS.base]);
  expect(again.code).toBe(0);
  expect(again.stdout).not.toMatch(/ created$/m);

  // The agent's ServiceAccount lives in the agent namespace, which the manifests labelled privileged.
  const sa = await run(['get', 'serviceaccount', 'chainmedic-agent', '-n', 'chainmedic-agent', '-o', 'json']);
  expect(sa.code).toBe(0);
  expect(JSON.parse(sa.stdout).automountServiceAccountToken).toBe(false);
  const enforced = async (namespace: string) =>
    (
      await run([
        'get',
        'namespace',
        namespace,
        '-o',
        'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}',
      ])
    ).stdout;
  expect(await enforced('chainmedic-agent')).toBe('privileged');
  expect(await enforced('chainmedic-system')).toBe('restricted');
});
