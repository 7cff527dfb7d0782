import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_SERVICE_ACCOUNT } from '../../src/api/index.js';
import { effectivePolicy } from '../../src/config/policy.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { AGENT_CONTAINER, buildAgentJob, type AgentJob } from '../../src/remediation/job.js';
import { eventually } from '../kit/eventually.js';
import { kubectl } from '../kit/kubectl.js';
import { BUILDS, find, kustomize, type KubeObject } from '../manifests/build.js';
import type { Kubectl } from './manifests-support.js';

// Pod Security Admission on a real kube-apiserver, with the shipped manifests applied (their two namespaces
// labelled as they label them) and the controllers running (the Deployment and Job controllers create the
// pods, the way a cluster does): the operator's pods pass `restricted`, which its namespace enforces; the
// agent Job's pod, built by the product's job builder, is admitted only in the agent namespace (privileged,
// warned at `baseline`) and refused in the operator's namespace and under `baseline`, the 403 naming the
// violations (docs/adr/0009).

const BASELINE = 'psa-baseline';
const PSA = 'pod-security.kubernetes.io';
const NODE = 'aks-nodepool1-12345678-vmss000000';
const LONG = 120_000;

/** The checks of PSA's `restricted` profile the agent's pod fails, in the order the apiserver names them. */
const AGENT_RESTRICTED_VIOLATIONS = [
  'host namespaces',
  'privileged',
  'allowPrivilegeEscalation != false',
  'unrestricted capabilities',
  'restricted volume types',
  'runAsNonRoot != true',
  'runAsUser=0',
  'seccompProfile',
];
/** `baseline` is about host access only: the agent needs exactly what it forbids (the xtables lock a hostPath). */
const AGENT_BASELINE_VIOLATIONS = ['host namespaces', 'hostPath volumes', 'privileged'];

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
/** Where the manifests run the operator (PSA restricted): its Deployment's namespace. */
let operatorNamespace: string;
/** Where the manifests have the operator create the agent Jobs (CHAINMEDIC_AGENT_NAMESPACE; PSA privileged). */
let agentNamespace: string;
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
  // The install names the operator's namespace `warn: restricted` and the agent's `warn: baseline`: nothing it
  // creates there may be warned about.
  const installed = await k(['apply', '--server-side', '-k', BUILDS.base]);
  if (installed.code !== 0 || installed.stderr !== '') throw new Error(`apply -k: ${installed.stderr}`);
  await ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  deployment = find<Deployment>(await kustomize(BUILDS.base), 'Deployment', 'chainmedic-operator');
  operatorNamespace = deployment.metadata.namespace!;
  const env = deployment.spec.template.spec.containers[0]!.env ?? [];
  agentNamespace = env.find((e) => e.name === 'CHAINMEDIC_AGENT_NAMESPACE')!.value!;
  expect(agentNamespace).not.toBe(operatorNamespace);
  // A namespace of the test's own enforcing `baseline`: the agent's namespace must be more than that.
  await ok(['create', 'namespace', BASELINE]);
  await ok([
    'label',
    'namespace',
    BASELINE,
    `${PSA}/enforce=baseline`,
    `${PSA}/enforce-version=latest`,
    `${PSA}/warn=baseline`,
    `${PSA}/audit=baseline`,
  ]);
  // The ServiceAccount admission plugin refuses a pod naming a missing ServiceAccount before PSA decides.
  await ok(['-n', BASELINE, 'create', 'serviceaccount', AGENT_SERVICE_ACCOUNT]);
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
 * The Job with its pods run as the namespace's `default` ServiceAccount (which the ServiceAccount controller
 * makes in every namespace): in the operator's namespace the agent's own ServiceAccount does not exist, and
 * the ServiceAccount admission plugin would refuse the pod for that before Pod Security judges it.
 */
function withDefaultServiceAccount(job: AgentJob): AgentJob {
  const copy = structuredClone(job);
  copy.spec.template.spec.serviceAccountName = 'default';
  return copy;
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
  test('its pod template passes `restricted`, which its namespace enforces: a server dry run is admitted with no warning', async () => {
    const live = JSON.parse(
      await ok(['-n', operatorNamespace, 'get', 'deployment', deployment.metadata.name, '-o', 'json']),
    ) as Deployment;
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('operator', operatorNamespace, live.spec.template),
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
      input: podOf('operator', operatorNamespace, template),
    });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('is forbidden');
    expect(violations(created.stderr, 'restricted')).toEqual(['allowPrivilegeEscalation != false']);
  });

  test('the Deployment creates all its pods as installed (its namespace enforces `restricted`)', async () => {
    const namespace = operatorNamespace;
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

describe('the namespaces as installed', () => {
  /** The Pod Security labels the apiserver holds for a namespace. */
  async function podSecurity(namespace: string): Promise<Record<string, string>> {
    const labels = JSON.parse(
      await ok(['get', 'namespace', namespace, '-o', 'jsonpath={.metadata.labels}']),
    ) as Record<string, string>;
    return Object.fromEntries(Object.entries(labels).filter(([key]) => key.startsWith(`${PSA}/`)));
  }

  test("the operator's enforces, warns and audits `restricted`; the agent's enforces `privileged`, warns and audits `baseline`", async () => {
    const levels = (enforce: string, report: string) => ({
      [`${PSA}/enforce`]: enforce,
      [`${PSA}/enforce-version`]: 'latest',
      [`${PSA}/warn`]: report,
      [`${PSA}/warn-version`]: 'latest',
      [`${PSA}/audit`]: report,
      [`${PSA}/audit-version`]: 'latest',
    });
    expect(await podSecurity(operatorNamespace)).toEqual(levels('restricted', 'restricted'));
    expect(await podSecurity(agentNamespace)).toEqual(levels('privileged', 'baseline'));
  });

  test('the agent namespace holds the agent ServiceAccount (no token) and no Secret of the operator', async () => {
    const sa = JSON.parse(
      await ok(['-n', agentNamespace, 'get', 'serviceaccount', AGENT_SERVICE_ACCOUNT, '-o', 'json']),
    ) as { automountServiceAccountToken?: boolean };
    expect(sa.automountServiceAccountToken).toBe(false);
    const missing = await k(['-n', operatorNamespace, 'get', 'serviceaccount', AGENT_SERVICE_ACCOUNT]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NotFound');
    const secrets = await ok(['-n', agentNamespace, 'get', 'secrets', '-o', 'name']);
    expect(secrets.trim()).toBe('');
  });

  test('any other privileged pod in the agent namespace is admitted but reported: warned at `baseline`', async () => {
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'not-the-agent', namespace: agentNamespace },
        spec: {
          hostNetwork: true,
          automountServiceAccountToken: false,
          containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }],
        },
      }),
    });
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe('pod/not-the-agent created (server dry run)');
    expect(created.stderr).toContain('would violate PodSecurity "baseline:latest"');
    expect(violations(created.stderr, 'baseline')).toEqual(['host namespaces', 'privileged']);
  });
});

describe("the agent Job's pod", () => {
  test.each([
    ['remediate', false],
    ['probe (dry run)', true],
  ])(
    'is admitted in the agent namespace, where the operator creates it (%s): the Job controller creates it, privileged',
    async (_what, dryRun) => {
      const job = await agentJob(`psa-admitted-${dryRun ? 'probe' : 'remediate'}`, agentNamespace, dryRun);
      const created = await k(['create', '-f', '-'], { input: JSON.stringify(job) });
      expect(created.code).toBe(0);
      // The namespace enforces `privileged` and warns at `baseline`: the Job is reported, and admitted.
      expect(violations(created.stderr, 'baseline')).toEqual(AGENT_BASELINE_VIOLATIONS);
      const result = await podsOrRefusal(
        agentNamespace,
        `job-name=${job.metadata.name}`,
        1,
        job.metadata.name,
      );
      expect(result.refusals).toEqual([]);
      expect(result.pods).toHaveLength(1);
      const pod = JSON.parse(await ok(['-n', agentNamespace, 'get', result.pods[0]!, '-o', 'json'])) as {
        spec: {
          hostPID: boolean;
          hostNetwork: boolean;
          containers: { securityContext: { privileged: boolean } }[];
          volumes: { hostPath?: { path: string; type: string } }[];
        };
      };
      expect(pod.spec).toMatchObject({ hostPID: true, hostNetwork: true });
      expect(pod.spec.containers[0]!.securityContext.privileged).toBe(true);
      expect(pod.spec.volumes.map((v) => v.hostPath)).toContainEqual({
        path: '/run/xtables.lock',
        type: 'FileOrCreate',
      });
    },
    LONG,
  );

  test('is admitted in the agent namespace by a server dry run (what the operator asks before the cordon)', async () => {
    const job = await agentJob('psa-agent-dry-run', agentNamespace, false);
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('agent', agentNamespace, job.spec.template),
    });
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe('pod/agent created (server dry run)');
    expect(violations(created.stderr, 'baseline')).toEqual(AGENT_BASELINE_VIOLATIONS);
  });

  test("is refused in the operator's namespace as built: its ServiceAccount is only in the agent namespace", async () => {
    const job = await agentJob('psa-operator-ns-sa', operatorNamespace, false);
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('agent', operatorNamespace, job.spec.template),
    });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain(
      `pods "agent" is forbidden: error looking up service account ${operatorNamespace}/${AGENT_SERVICE_ACCOUNT}`,
    );
  });

  test("is refused in the operator's namespace (restricted) by Pod Security: the 403 names every violation", async () => {
    const job = await agentJob('psa-operator-ns-pod', operatorNamespace, false);
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('agent', operatorNamespace, withDefaultServiceAccount(job).spec.template),
    });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toMatch(
      /Error from server \(Forbidden\).*pods "agent" is forbidden: violates PodSecurity "restricted:latest"/,
    );
    expect(violations(created.stderr, 'restricted')).toEqual(AGENT_RESTRICTED_VIOLATIONS);
    expect(created.stderr).toContain(
      `privileged (container "${AGENT_CONTAINER}" must not set securityContext.privileged=true)`,
    );
    expect(created.stderr).toContain('host namespaces (hostNetwork=true, hostPID=true)');
  });

  test(
    "is refused in the operator's namespace when a Job is created there: warned at create, FailedCreate after",
    async () => {
      const job = withDefaultServiceAccount(await agentJob('psa-operator-ns-job', operatorNamespace, false));
      const created = await k(['create', '-f', '-'], { input: JSON.stringify(job) });
      expect(created.code).toBe(0);
      // Jobs are admitted (PSA enforces on pods) with a warning about their template.
      expect(violations(created.stderr, 'restricted')).toEqual(AGENT_RESTRICTED_VIOLATIONS);
      const result = await podsOrRefusal(
        operatorNamespace,
        `job-name=${job.metadata.name}`,
        1,
        job.metadata.name,
      );
      expect(result.pods).toEqual([]);
      expect(result.refusals.length).toBeGreaterThan(0);
      for (const refusal of result.refusals) {
        expect(refusal).toContain('is forbidden: violates PodSecurity "restricted:latest"');
        expect(violations(refusal, 'restricted')).toEqual(AGENT_RESTRICTED_VIOLATIONS);
      }
    },
    LONG,
  );

  test('is refused under `baseline` too: the agent namespace must be `privileged`', async () => {
    const job = await agentJob('psa-baseline-pod', BASELINE, false);
    const created = await k(['create', '--dry-run=server', '-f', '-'], {
      input: podOf('agent', BASELINE, job.spec.template),
    });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('is forbidden: violates PodSecurity "baseline:latest"');
    expect(violations(created.stderr, 'baseline')).toEqual(AGENT_BASELINE_VIOLATIONS);
  });
});
