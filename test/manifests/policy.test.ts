import { AGENT_SERVICE_ACCOUNT } from '../../src/api/index.js';
import { WEBHOOK_PATH } from '../../src/server/admission/webhook-server.js';
import {
  serviceDnsNames,
  WEBHOOK_CONFIGURATION,
  WEBHOOK_PORT,
  WEBHOOK_SECRET,
  WEBHOOK_SERVICE,
} from '../../src/server/certs/names.js';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_METRICS_PORT, DEFAULT_NAMESPACE } from '../../src/config.js';
import { OPERATOR_RUNTIME_ENV } from '../../src/operator/runtime.js';
import { BUILDS, find, kustomize, type KubeObject } from './build.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- walking YAML objects */

let base: KubeObject[];
let certManager: KubeObject[];
beforeAll(async () => {
  [base, certManager] = await Promise.all([kustomize(BUILDS.base), kustomize(BUILDS.certManager)]);
});

const NS = DEFAULT_NAMESPACE;
const AGENT_NS = DEFAULT_AGENT_NAMESPACE;

/** A namespace's Pod Security labels: mode -> level, and the version each mode pins. */
function podSecurity(namespace: string) {
  const labels = find(base, 'Namespace', namespace).metadata.labels ?? {};
  return Object.fromEntries(
    Object.entries(labels).filter(([key]) => key.startsWith('pod-security.kubernetes.io/')),
  );
}

describe('two namespaces: the operator under `restricted`, the privileged agent Jobs apart (docs/adr/0009)', () => {
  test('the install has exactly these two namespaces', () => {
    expect(
      base
        .filter((o) => o.kind === 'Namespace')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual([AGENT_NS, NS].sort());
  });

  test("the operator's namespace enforces, warns and audits `restricted`", () => {
    expect(podSecurity(NS)).toEqual({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'latest',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'latest',
    });
  });

  test('the agent namespace allows the privileged Job, and warns and audits any pod at `baseline`', () => {
    expect(podSecurity(AGENT_NS)).toEqual({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'baseline',
      'pod-security.kubernetes.io/warn-version': 'latest',
      'pod-security.kubernetes.io/audit': 'baseline',
      'pod-security.kubernetes.io/audit-version': 'latest',
    });
  });

  test('the agent namespace holds no workload, Secret or ConfigMap: only its ServiceAccount and RBAC', () => {
    for (const build of [base, certManager]) {
      const inAgentNs = build.filter((o) => o.metadata.namespace === AGENT_NS).map((o) => o.kind);
      expect([...new Set(inAgentNs)].sort()).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
    }
  });

  test('the operator creates its Jobs there: the Deployment names the agent namespace explicitly', () => {
    const deployment: any = find(base, 'Deployment', 'chainmedic-operator', NS);
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'CHAINMEDIC_AGENT_NAMESPACE')).toEqual({
      name: 'CHAINMEDIC_AGENT_NAMESPACE',
      value: AGENT_NS,
    });
  });
});

test('the CRDs are part of the install', () => {
  expect(
    base
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => o.metadata.name)
      .sort(),
  ).toEqual(['noderemediations.chainmedic.io', 'remediationpolicies.chainmedic.io']);
});

test('ServiceAccounts mount no token by default; only the operator pod opts in', () => {
  const operator: any = find(base, 'ServiceAccount', 'chainmedic-operator', NS);
  const agent: any = find(base, 'ServiceAccount', AGENT_SERVICE_ACCOUNT, AGENT_NS);
  expect(operator.automountServiceAccountToken).toBe(false);
  expect(agent.automountServiceAccountToken).toBe(false);
  const deployment: any = find(base, 'Deployment', 'chainmedic-operator', NS);
  expect(deployment.spec.template.spec.serviceAccountName).toBe('chainmedic-operator');
  expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(true);
});

describe('the operator Deployment', () => {
  let deployment: any;
  let pod: any;
  let container: any;
  beforeAll(() => {
    deployment = find(base, 'Deployment', 'chainmedic-operator', NS);
    pod = deployment.spec.template.spec;
    container = pod.containers[0];
  });

  test('two replicas with leader election, spread across nodes', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(container.args).toEqual(['operator', '--leader-elect']);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      maxSkew: 1,
    });
    const anti = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    expect(anti.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(anti.podAffinityTerm.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  test('restricted Pod Security profile', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.securityContext.privileged ?? false).toBe(false);
      expect(c.securityContext.capabilities.add ?? []).toEqual([]);
    }
  });

  test('image set by kustomize, and the agent image follows it', () => {
    expect(container.image).toBe('chainmedic:0.1.0');
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.CHAINMEDIC_AGENT_IMAGE).toBe(container.image);
    expect(env.CHAINMEDIC_NAMESPACE).toEqual({
      fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
    });
  });

  test('the runtime settings are the ones the benchmark measures', () => {
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    for (const [name, value] of Object.entries(OPERATOR_RUNTIME_ENV))
      expect({ name, value: env[name] }).toEqual({ name, value });
  });

  test('probes, ports and resources', () => {
    const ports = Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]));
    expect(ports).toEqual({ metrics: DEFAULT_METRICS_PORT, webhook: WEBHOOK_PORT });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '192Mi' },
      limits: { cpu: '1', memory: '384Mi' },
    });
  });

  test('a PodDisruptionBudget keeps one replica', () => {
    const pdb: any = find(base, 'PodDisruptionBudget', 'chainmedic-operator', NS);
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  test('the Service reaches both ports of these pods', () => {
    const service: any = find(base, 'Service', WEBHOOK_SERVICE, NS);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    const ports = Object.fromEntries(service.spec.ports.map((p: any) => [p.name, [p.port, p.targetPort]]));
    expect(ports).toEqual({ metrics: [8080, 'metrics'], webhook: [443, 'webhook'] });
  });
});

describe('the validating webhook', () => {
  let config: any;
  beforeAll(() => {
    config = find(base, 'ValidatingWebhookConfiguration', WEBHOOK_CONFIGURATION);
  });

  test('never blocks unrelated traffic: chainmedic.io only, Ignore on failure, 5 s, no side effects', () => {
    expect(config.webhooks).toHaveLength(2);
    for (const hook of config.webhooks) {
      expect(hook).toMatchObject({
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
      });
      expect(hook.namespaceSelector ?? {}).toEqual({});
      for (const rule of hook.rules) expect(rule.apiGroups).toEqual(['chainmedic.io']);
      expect(hook.clientConfig.service).toEqual({
        name: WEBHOOK_SERVICE,
        namespace: NS,
        path: WEBHOOK_PATH,
        port: 443,
      });
    }
    const byName = Object.fromEntries(config.webhooks.map((h: any) => [h.name, h.rules[0]]));
    expect(byName['noderemediations.chainmedic.io']).toMatchObject({
      resources: ['noderemediations'],
      operations: ['CREATE'],
    });
    expect(byName['remediationpolicies.chainmedic.io']).toMatchObject({
      resources: ['remediationpolicies'],
      operations: ['CREATE', 'UPDATE'],
    });
  });

  test('self-managed certificates: an empty Secret with the name the operator uses', () => {
    const secret: any = find(base, 'Secret', WEBHOOK_SECRET, NS);
    expect(secret.type).toBe('Opaque');
    expect(secret.data ?? {}).toEqual({});
  });

  test('cert-manager overlay: no Secret from us, a Certificate for the Service names, CA injected, flag set', () => {
    expect(certManager.some((o) => o.kind === 'Secret')).toBe(false);
    const cert: any = find(certManager, 'Certificate', 'chainmedic-webhook', NS);
    expect(cert.spec.secretName).toBe(WEBHOOK_SECRET);
    expect(cert.spec.dnsNames).toEqual(serviceDnsNames(WEBHOOK_SERVICE, NS));
    find(certManager, 'Issuer', cert.spec.issuerRef.name, NS);
    const hook: any = find(certManager, 'ValidatingWebhookConfiguration', WEBHOOK_CONFIGURATION);
    expect(hook.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(`${NS}/chainmedic-webhook`);
    const deployment: any = find(certManager, 'Deployment', 'chainmedic-operator', NS);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.args).toEqual([
      'operator',
      '--leader-elect',
      '--webhook-certs=cert-manager',
      '--webhook-cert-dir=/etc/chainmedic/webhook-tls',
    ]);
    const mount = container.volumeMounts.find((m: any) => m.name === 'webhook-tls');
    expect(mount).toEqual({ name: 'webhook-tls', mountPath: '/etc/chainmedic/webhook-tls', readOnly: true });
    const volume = deployment.spec.template.spec.volumes.find((v: any) => v.name === 'webhook-tls');
    expect(volume.secret.secretName).toBe(WEBHOOK_SECRET);
  });
});
