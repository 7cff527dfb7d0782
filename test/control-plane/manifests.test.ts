import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { eventually } from '../kit/eventually.js';
import { kubectl } from '../kit/kubectl.js';
import { BUILDS, kustomize, type KubeObject } from '../manifests/build.js';
import { markdownFiles, yamlExamples, type DocsExample } from './docs-examples.js';
import {
  contents,
  expectedLines,
  generations,
  isReplacePatchedEveryTime,
  printedLines,
  refOf,
  type Kubectl,
} from './manifests-support.js';

// The shipped manifests on a real kube-apiserver (CRD validation and pruning, strict field validation,
// server-side apply, admission): `kubectl apply -k` and `kubectl apply --server-side -k` of the base and both
// overlays, each on an empty cluster, re-applied without changes or conflicts; the CRDs Established and
// explained; every YAML example of the docs applied.
//
// Every case gets a control plane of its own (one at a time): deleting the install between cases would
// delete the CRDs, and a CRD's deletion can hang for minutes ("could not list instances: storage is
// (re)initializing", the apiserver's CRD finalizer backing off), which no test should wait for. The
// controllers are left out: nothing here depends on them (pod-security.test.ts runs them).
//
// The overlays need kinds of other projects (cert-manager's Issuer and Certificate, the Prometheus Operator's
// ServiceMonitor and PrometheusRule). "The overlay applies" means: on a cluster where those projects' CRDs are
// installed, every object is created and valid. fixtures/third-party-crds.yaml stands in for them with the
// upstream group, version, scope and names and the upstream types of every field the overlays set, and
// nothing else (kubectl validates fields strictly, so an unknown or mistyped field fails the apply).

const ROOT = process.cwd();
const THIRD_PARTY_CRDS = join(ROOT, 'test', 'control-plane', 'fixtures', 'third-party-crds.yaml');
const LONG = 180_000;

interface Cluster {
  cp: ControlPlane;
  k: Kubectl;
}

/** A fresh control plane for the enclosing describe block; `thirdParty` installs the overlays' foreign CRDs. */
function emptyCluster(options: { thirdParty?: boolean } = {}): () => Cluster {
  let cluster: Cluster | undefined;
  let cacheDir = '';
  beforeAll(async () => {
    const cp = await startControlPlane({ controllers: false });
    // A private discovery cache: nothing shared with other tests or with ~/.kube.
    cacheDir = mkdtempSync(join(tmpdir(), 'chainmedic-kubectl-cache-'));
    const k: Kubectl = (args, opts = {}) =>
      kubectl(cp.adminKubeconfig, args, { cacheDir, input: opts.input, timeoutMs: opts.timeoutMs });
    cluster = { cp, k };
    if (options.thirdParty) await installThirdPartyCrds(k);
  }, LONG);
  afterAll(async () => {
    await cluster?.cp.stop();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });
  return () => {
    if (!cluster) throw new Error('the control plane did not start');
    return cluster;
  };
}

const crdNames = (objects: readonly KubeObject[]) =>
  objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);

/** Waits (kubectl wait) until every named CRD is Established. */
async function waitEstablished(k: Kubectl, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const crds = names.map((name) => `crd/${name}`);
  const waited = await k(['wait', '--for=condition=Established', '--timeout=60s', ...crds], {
    timeoutMs: 90_000,
  });
  expect(waited.stderr).toBe('');
  expect(printedLines(waited.stdout)).toEqual(
    names.map((name) => `customresourcedefinition.apiextensions.k8s.io/${name} condition met`).sort(),
  );
}

/** Stands in for installing cert-manager and the Prometheus Operator: their CRDs, Established. */
async function installThirdPartyCrds(k: Kubectl): Promise<void> {
  const applied = await k(['apply', '--server-side', '-f', THIRD_PARTY_CRDS]);
  if (applied.code !== 0 || applied.stderr !== '') throw new Error(`third-party CRDs: ${applied.stderr}`);
  await waitEstablished(
    k,
    printedLines(applied.stdout).map((line) => line.split(' ')[0]!.split('/')[1]!),
  );
}

const CASES = [
  { build: 'base', dir: BUILDS.base, thirdParty: false },
  { build: 'cert-manager overlay', dir: BUILDS.certManager, thirdParty: true },
  { build: 'prometheus overlay', dir: BUILDS.prometheus, thirdParty: true },
] as const;

describe.each(CASES)('$build ($dir)', ({ dir, thirdParty }) => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await kustomize(dir);
  });

  describe('client-side', () => {
    const cluster = emptyCluster({ thirdParty });
    test(
      'kubectl apply -k creates every object; again, it changes nothing; then --server-side takes over without a conflict',
      async () => {
        const { k } = cluster();
        const first = await k(['apply', '-k', dir]);
        expect(first.stderr).toBe('');
        expect(first.code).toBe(0);
        expect(printedLines(first.stdout)).toEqual(expectedLines(objects, () => 'created'));
        await waitEstablished(k, crdNames(objects));
        const before = await generations(k, dir);
        expect(before.size).toBe(objects.length);

        const again = await k(['apply', '-k', dir]);
        expect(again.stderr).toBe('');
        expect(again.code).toBe(0);
        expect(printedLines(again.stdout)).toEqual(
          expectedLines(objects, (o) => (isReplacePatchedEveryTime(o) ? 'configured' : 'unchanged')),
        );
        expect(await generations(k, dir)).toEqual(before);
        const diff = await k(['diff', '-k', dir]);
        expect(diff.stdout).toBe('');
        expect(diff.code).toBe(0);

        // Moving to server-side apply: kubectl hands the client-side apply's fields over; nothing conflicts
        // (a field the server defaults inside an atomic struct, such as fieldRef.apiVersion, would) and
        // nothing but kubectl's bookkeeping changes.
        const content = await contents(k, dir);
        const server = await k(['apply', '--server-side', '-k', dir]);
        expect(server.stderr).toBe('');
        expect(server.code).toBe(0);
        expect(printedLines(server.stdout)).toEqual(expectedLines(objects, () => 'serverside-applied'));
        expect(await contents(k, dir)).toEqual(content);
      },
      LONG,
    );
  });

  describe('server-side', () => {
    const cluster = emptyCluster({ thirdParty });
    test(
      'kubectl apply --server-side -k applies every object; again, no conflict and no change',
      async () => {
        const { k } = cluster();
        const first = await k(['apply', '--server-side', '-k', dir]);
        expect(first.stderr).toBe('');
        expect(first.code).toBe(0);
        expect(printedLines(first.stdout)).toEqual(expectedLines(objects, () => 'serverside-applied'));
        await waitEstablished(k, crdNames(objects));
        const before = await generations(k, dir);
        expect(before.size).toBe(objects.length);

        const again = await k(['apply', '--server-side', '-k', dir]);
        expect(again.stderr).toBe('');
        expect(again.code).toBe(0);
        expect(printedLines(again.stdout)).toEqual(expectedLines(objects, () => 'serverside-applied'));
        expect(await generations(k, dir)).toEqual(before);
        const diff = await k(['diff', '--server-side', '-k', dir]);
        expect(diff.stdout).toBe('');
        expect(diff.code).toBe(0);
      },
      LONG,
    );
  });
});

describe('installed as the docs say (kubectl apply -k manifests/)', () => {
  const examples: DocsExample[] = markdownFiles(ROOT).flatMap((file) =>
    yamlExamples(file, relative(ROOT, file)),
  );
  const objectExamples = examples.filter((e) => e.kind === 'object');
  const fragments = examples.filter((e) => e.kind === 'kustomization');
  const cluster = emptyCluster();

  beforeAll(async () => {
    const { k } = cluster();
    const applied = await k(['apply', '-k', BUILDS.base]);
    if (applied.code !== 0 || applied.stderr !== '') throw new Error(`apply -k: ${applied.stderr}`);
    await waitEstablished(k, crdNames(await kustomize(BUILDS.base)));
  }, LONG);

  test('kubectl explain nrem and remediationpolicy describe the served schemas', async () => {
    const { cp, k } = cluster();
    // explain reads the OpenAPI v3 document, which the apiserver publishes for a new CRD after Established.
    await eventually(async () => {
      const doc = await k(['get', '--raw', '/openapi/v3/apis/chainmedic.io/v1alpha1']);
      return doc.code === 0 && doc.stdout.includes('"io.chainmedic.v1alpha1.NodeRemediation"');
    }, 'the OpenAPI v3 document of chainmedic.io/v1alpha1');
    // A fresh discovery cache, as a user's kubectl after the install (explain does not refresh a stale one).
    const fresh = mkdtempSync(join(tmpdir(), 'chainmedic-kubectl-cache-'));
    try {
      const explain = (what: string) => kubectl(cp.adminKubeconfig, ['explain', what], { cacheDir: fresh });
      const nrem = await explain('nrem');
      expect(nrem.stderr).toBe('');
      expect(nrem.stdout).toMatch(/^KIND: +NodeRemediation$/m);
      expect(nrem.stdout).toMatch(/^VERSION: +v1alpha1$/m);
      const spec = await explain('nrem.spec');
      expect(spec.stdout).toMatch(/^ {2}nodeName\t<string> -required-$/m);
      expect(spec.stdout).toMatch(/^ {2}trigger\t<Object> -required-$/m);
      const source = await explain('nrem.spec.trigger.source');
      expect(source.stdout).toMatch(/ENUM:\n +CrashLoop\n +Manual\n +Audit\n/);
      const policy = await explain('remediationpolicy.spec');
      expect(policy.stderr).toBe('');
      expect(policy.stdout).toMatch(/^ {2}maxConcurrent\t<integer>$/m);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('the docs hold YAML examples, and each is a Kubernetes object or a kustomization fragment', () => {
    expect(examples.filter((e) => e.kind === 'unknown').map((e) => `${e.where}:\n${e.text}`)).toEqual([]);
    expect(objectExamples.map((e) => e.kind === 'object' && e.object.kind)).toEqual(
      expect.arrayContaining(['NodeRemediation', 'RemediationPolicy']),
    );
    expect(fragments.length).toBeGreaterThan(0);
  });

  test.each(objectExamples.map((e) => [e.where, e] as const))(
    'the example at %s applies, as written, and re-applies unchanged',
    async (_where, example) => {
      if (example.kind !== 'object') throw new Error('not an object');
      const { k } = cluster();
      const { object } = example;
      const ref = refOf(object);
      const applied = await k(['apply', '-f', '-'], { input: example.text });
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      expect(applied.stdout.trim()).toMatch(new RegExp(`^${escape(ref)} (created|configured|unchanged)$`));
      const again = await k(['apply', '-f', '-'], { input: example.text });
      expect(again.stderr).toBe('');
      expect(again.stdout.trim()).toBe(`${ref} unchanged`);
      // Stored as written: nothing pruned, nothing rewritten.
      const ns = object.metadata.namespace ? ['-n', object.metadata.namespace] : [];
      const live = await k(['get', ...ns, ref, '-o', 'json']);
      expect(live.code).toBe(0);
      expect(JSON.parse(live.stdout)).toMatchObject({ spec: object.spec ?? {} });
    },
  );

  test.each(fragments.map((e) => [e.where, e] as const))(
    'the kustomization fragment at %s works as an overlay of manifests/',
    async (_where, example) => {
      if (example.kind !== 'kustomization') throw new Error('not a fragment');
      const { k } = cluster();
      const dir = mkdtempSync(join(tmpdir(), 'chainmedic-docs-overlay-'));
      try {
        const overlay = { resources: [relative(dir, join(ROOT, BUILDS.base))], ...example.fragment };
        writeFileSync(join(dir, 'kustomization.yaml'), stringify(overlay));
        const applied = await k(['apply', '-k', dir]);
        expect(applied.stderr).toBe('');
        expect(applied.code).toBe(0);
        const diff = await k(['diff', '-k', dir]);
        expect(diff.stdout).toBe('');
        expect(diff.code).toBe(0);
        const images = example.fragment.images as { newName?: string; newTag?: string }[] | undefined;
        for (const image of images ?? []) {
          const deploy = await k([
            '-n',
            'chainmedic-system',
            'get',
            'deployment',
            'chainmedic-operator',
            '-o',
            'jsonpath={.spec.template.spec.containers[*].image}',
          ]);
          expect(deploy.stdout).toBe(`${image.newName}:${image.newTag}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
