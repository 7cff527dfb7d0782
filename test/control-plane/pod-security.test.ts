import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_SERVICE_ACCOUNT } from '../../src/api/index.js';
import { effectivePolicy } from '../../src/config/policy.js';
import { startControlPlane, type ControlPlane } from '../../src/control-plane/harness.js';
import { AGENT_CONTAINER, buildAgentJob, type AgentJob } from '../../src/remediation/job.js';
import { eventually } from '../helpers/eventually.js';
import { kubectl } from '../helpers/kubectl.js';
import { BUILDS, find, kustomize, type KubeObject } from '../manifests/build.js';
import type { Kubectl } from './manifests-support.js';

// Pod Security Admission on a real kube-apiserver, with the namespaces labelled as the manifests label them
// and the controllers running (the Deployment and Job controllers create the pods, the way a cluster does):
// the operator's pods pass `restricted`; the agent Job's pod, built by the product's job builder, is admitted
// where the operator creates it and refused under `restricted` and `baseline`, the 403 naming the violations.

const RESTRICTED = 'psa-restricted';
const BASELINE = 'psa-baseline';
const NODE = 'aks-nodepool1-12345678-vmss000000';
const LONG = 120_000;

/** The checks of PSA's `restricted` profile the agent's pod fails, in the order the apiserver names them. */
const AGENT_RESTRICTED_VIOLATIONS = [
  'host namespaces',
  'privileged',
  'allowPrivilegeEscalation != false',
  'unrestricted capabilities',
  'runAsNonRoot != true',
  'runAsUser=0',
  'seccompProfile',
];
/** `baseline` is about host access only: the agent needs exactly what it forbids. */
const AGENT_BASELINE_VIOLATIONS = ['host namespaces', 'privileged'];

interface Deployment extends KubeObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface PodSpec {
  containers: { name: string; env?: { name: string; value?: string }[]; securityContext?: object }[];
  [key: string]: unknown;
}

let cp: ControlPlane;
let cacheDir: string;
let deployment: Deployment;
/** Where the manifests run the operator, and so where it creates the agent Jobs (CHAINMEDIC_NAMESPACE). */
let operatorNamespace: string;
const k: Kubectl = (args, options = {}) =>
  kubectl(cp.adminKubeconfig, args, { cacheDir, input: options.input, timeoutMs: options.timeoutMs });

async function ok(args: string[], input?: string): Promise<string> {
  const result = await k(args, { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  cp = await startControlPlane();
  cacheDir = mkdtempSync(join(tmpdir(), 'chainmedic-kubectl-cache-'));
  // The install names the operator's namespace `warn: restricted`: the Deployment it creates there must not
  // be warned about.
  const installed = await k(['apply', '--server-side', '-k', BUILDS.base]);
  if (installed.code !== 0 || installed.stderr !== '') throw new Error(`apply -k: ${installed.stderr}`);
  await ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  deployment = find<Deployment>(await kustomize(BUILDS.base), 'Deployment', 'chainmedic-operator');
  operatorNamespace = deployment.metadata.namespace!;
  for (const [name, level] of [
    [RESTRICTED, 'restricted'],
    [BASELINE, 'baseline'],
  ] as const) {
    await ok(['create', 'namespace', name]);
    await ok([
      'label',
      'namespace',
      name,
      `pod-security.kubernetes.io/enforce=${level}`,
      'pod-security.kubernetes.io/enforce-version=latest',
      `pod-security.kubernetes.io/warn=${level}`,
      `pod-security.kubernetes.io/audit=${level}`,
    ]);
    // The ServiceAccount admission plugin refuses a pod naming a missing ServiceAccount before PSA decides.
    for (const sa of ['chainmedic-operator', AGENT_SERVICE_ACCOUNT]) {
      await ok(['-n', name, 'create', 'serviceaccount', sa]);
    }
  }
}, LONG);
afterAll(async () => {
  await cp?.stop();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

/** A Pod made of a pod template, as a controller would create it. */
function podOf(name: string, namespace: string, template: { metadata?: object; spec: object }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name, namespace },
    spec: template.spec,
  });
}

/**
 * The names of the checks a PSA refusal (`violates PodSecurity "<level>:latest": ...`) or warning (`would
 * violate ...`) lists: `name (detail), name (detail)`.
 */
function violations(message: string, level: string): string[] {
  const found = new RegExp(`(?:violates|would violate) PodSecurity "${level}:latest": (.*)`).exec(message);
  if (!found) return [];
  return found[1]!.split(/\), (?=\S)/).map((item) => item.slice(0, item.indexOf(' (')));
}

/** The operator's agent Job for one (real) NodeRemediation, built by the product with the default policy. */
async function agentJob(remediation: string, namespace: string, dryRun: boolean): Promise<AgentJob> {
  const created = await k(['apply', '-f', '-', '-o', 'jsonpath={.metadata.uid}'], {
    input: JSON.stringify({
      apiVersion: 'chainmedic.io/v1alpha1',
      kind: 'NodeRemediation',
      metadata: { name: remediation },
      spec: { nodeName: NODE, trigger: { source: 'Manual' } },
    }),
  });
  if (created.code !== 0) throw new Error(created.stderr);
  const policy = effectivePolicy(undefined);
  const env = deployment.spec.template.spec.containers[0]!.env ?? [];
  return buildAgentJob({
    remediation: { name: remediation, uid: created.stdout },
    nodeName: NODE,
    attempt: 1,
    dryRun,
    namespace,
    image: env.find((e) => e.name === 'CHAINMEDIC_AGENT_IMAGE')!.value!,
    timeoutSeconds: policy.job.timeoutSeconds,
    agentWaitSeconds: policy.job.agentWaitSeconds,
    ttlAfterFinishedSeconds: policy.job.ttlAfterFinishedSeconds,
  });
}

/**
 * Waits until the controller that owns `selector`'s pods has created `count` of them, or has reported that it
 * could not (a FailedCreate Event on `owner`), and says which.
 */
async function podsOrRefusal(
  namespace: string,
  selector: string,
  count: number,
  owner: string,
): Promise<{ pods: string[]; refusals: string[] }> {
  return eventually(
    async () => {
      const pods = (await ok(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'name']))
        .split('\n')
        .filter(Boolean);
      const events = await ok([
        '-n',
        namespace,
        'get',
        'events',
        '--field-selector',
        `reason=FailedCreate,involvedObject.name=${owner}`,
        '-o',
        'json',
      ]);
      const refusals = (JSON.parse(events) as { items: { message: string }[] }).items.map((e) => e.message);
      return pods.length >= count || refusals.length > 0 ? { pods, refusals } : false;
    },
    `${count} pod(s) -l ${selector} in ${namespace}, or a FailedCreate Event on ${owner}`,
    60_000,
  );
}

describe("the operator's pods", () => {
  test('its pod template passes `restricted`: a server dry-run create is admitted with no warning', async () => {
    const live = JSON.parse(
      await ok(['-n', operatorNamespace, 'get', 'deployment', deployment.metadata.name, '-o', 'json']),
    ) as Deployment;
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('operator', RESTRICTED, live.spec.template),
    });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe('pod/operator created (server dry run)');
  });

  test('control: the same namespace refuses the template once one restricted setting is dropped', async () => {
    const template = structuredClone(deployment.spec.template);
    template.spec.containers[0]!.securityContext = {
      ...template.spec.containers[0]!.securityContext,
      allowPrivilegeEscalation: true,
    };
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('operator', RESTRICTED, template),
    });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('is forbidden');
    expect(violations(created.stderr, 'restricted')).toEqual(['allowPrivilegeEscalation != false']);
  });

  test.each([
    ['as installed', () => operatorNamespace],
    ['in a namespace enforcing `restricted`', () => RESTRICTED],
  ])('the Deployment creates all its pods %s', async (_how, namespaceOf) => {
    const namespace = namespaceOf();
    if (namespace !== operatorNamespace) {
      const applied = await k(['apply', '-f', '-'], {
        input: JSON.stringify({ ...deployment, metadata: { ...deployment.metadata, namespace } }),
      });
      // The namespace warns at `restricted` too: a Deployment whose template breaks it gets a warning.
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
    }
    const selector = Object.entries(deployment.spec.selector.matchLabels)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const replicaSet = (
      await eventually(
        async () =>
          (
            await ok([
              '-n',
              namespace,
              'get',
              'replicasets',
              '-l',
              selector,
              '-o',
              'jsonpath={.items[*].metadata.name}',
            ])
          ).trim() || false,
        `the Deployment's ReplicaSet in ${namespace}`,
        60_000,
      )
    ).split(' ');
    expect(replicaSet).toHaveLength(1);
    const result = await podsOrRefusal(namespace, selector, deployment.spec.replicas, replicaSet[0]!);
    expect(result.refusals).toEqual([]);
    expect(result.pods).toHaveLength(deployment.spec.replicas);
  });
});

describe("the agent Job's pod", () => {
  test.each([
    ['remediate', false],
    ['probe (dry run)', true],
  ])(
    'is admitted where the operator creates it (%s): the Job controller creates it, privileged',
    async (_what, dryRun) => {
      const job = await agentJob(`psa-admitted-${dryRun ? 'probe' : 'remediate'}`, operatorNamespace, dryRun);
      const created = await k(['create', '-f', '-'], { input: JSON.stringify(job) });
      expect(created.code).toBe(0);
      // The namespace enforces `privileged` and warns at `restricted`: the Job is reported, and admitted.
      expect(violations(created.stderr, 'restricted')).toEqual(AGENT_RESTRICTED_VIOLATIONS);
      const result = await podsOrRefusal(
        operatorNamespace,
        `job-name=${job.metadata.name}`,
        1,
        job.metadata.name,
      );
      expect(result.refusals).toEqual([]);
      expect(result.pods).toHaveLength(1);
      const pod = JSON.parse(await ok(['-n', operatorNamespace, 'get', result.pods[0]!, '-o', 'json'])) as {
        spec: {
          hostPID: boolean;
          hostNetwork: boolean;
          containers: { securityContext: { privileged: boolean } }[];
        };
      };
      expect(pod.spec).toMatchObject({ hostPID: true, hostNetwork: true });
      expect(pod.spec.containers[0]!.securityContext.privileged).toBe(true);
    },
    LONG,
  );

  test('is refused under `restricted`: the 403 names every violation', async () => {
    const job = await agentJob('psa-restricted-pod', RESTRICTED, false);
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('agent', RESTRICTED, job.spec.template),
    });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toMatch(
      /Error from server \(Forbidden\).*pods "agent" is forbidden: violates PodSecurity/,
    );
    expect(violations(created.stderr, 'restricted')).toEqual(AGENT_RESTRICTED_VIOLATIONS);
    expect(created.stderr).toContain(
      `privileged (container "${AGENT_CONTAINER}" must not set securityContext.privileged=true)`,
    );
    expect(created.stderr).toContain('host namespaces (hostNetwork=true, hostPID=true)');
  });

  test(
    'is refused under `restricted` when the operator creates the Job there: warned at create, FailedCreate after',
    async () => {
      const job = await agentJob('psa-restricted-job', RESTRICTED, false);
      const created = await k(['create', '-f', '-'], { input: JSON.stringify(job) });
      expect(created.code).toBe(0);
      // Jobs are admitted (PSA enforces on pods) with a warning about their template.
      expect(violations(created.stderr, 'restricted')).toEqual(AGENT_RESTRICTED_VIOLATIONS);
      const result = await podsOrRefusal(RESTRICTED, `job-name=${job.metadata.name}`, 1, job.metadata.name);
      expect(result.pods).toEqual([]);
      expect(result.refusals.length).toBeGreaterThan(0);
      for (const refusal of result.refusals) {
        expect(refusal).toContain('is forbidden: violates PodSecurity "restricted:latest"');
        expect(violations(refusal, 'restricted')).toEqual(AGENT_RESTRICTED_VIOLATIONS);
      }
    },
    LONG,
  );

  test('is refused under `baseline` too: the operator namespace must be `privileged`', async () => {
    const job = await agentJob('psa-baseline-pod', BASELINE, false);
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('agent', BASELINE, job.spec.template),
    });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('is forbidden: violates PodSecurity "baseline:latest"');
    expect(violations(created.stderr, 'baseline')).toEqual(AGENT_BASELINE_VIOLATIONS);
    const labels = JSON.parse(
      await ok(['get', 'namespace', operatorNamespace, '-o', 'jsonpath={.metadata.labels}']),
    ) as Record<string, string>;
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });
});
