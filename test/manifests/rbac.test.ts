import {
  AGENT_SERVICE_ACCOUNT,
  NODE_REMEDIATION_KIND,
  NODE_REMEDIATION_PLURAL,
} from '../../src/api/index.js';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { paths } from '../../src/kube/paths.js';
import { operatorAccess, type AccessContext } from './access.js';
import { WEBHOOK_CONFIGURATION, WEBHOOK_SECRET } from '../../src/server/certs/names.js';
import { secretPath, webhookConfigPath } from '../../src/server/certs/ensure.js';
import { buildAgentJob } from '../../src/remediation/job.js';
import { accessForRequest, grantedAccess, isAllowed, ownerReferenceChecks, permissionsOf } from './rbac.js';
import { BUILDS, find, kustomize, type KubeObject } from './build.js';

const OPERATOR = { name: 'chainmedic-operator', namespace: DEFAULT_NAMESPACE };
const AGENT_NAMESPACE = DEFAULT_AGENT_NAMESPACE;
const CONTEXT: AccessContext = {
  namespace: DEFAULT_NAMESPACE,
  agentNamespace: AGENT_NAMESPACE,
  targetNamespace: 'kube-system',
  eventNamespace: 'default',
  webhookSecret: WEBHOOK_SECRET,
  webhookConfiguration: WEBHOOK_CONFIGURATION,
  manageCertificates: true,
};

let base: KubeObject[];
let certManager: KubeObject[];
beforeAll(async () => {
  [base, certManager] = await Promise.all([kustomize(BUILDS.base), kustomize(BUILDS.certManager)]);
});

/** Missing and extra permissions, so a failure says exactly which rule to add or drop. */
function diff(granted: string[], needed: string[]) {
  return {
    missing: needed.filter((p) => !granted.includes(p)),
    extra: granted.filter((p) => !needed.includes(p)),
  };
}

test('base: the operator is granted exactly what it declares it uses', () => {
  const granted = permissionsOf(grantedAccess(base, OPERATOR));
  expect(diff(granted, permissionsOf(operatorAccess(CONTEXT)))).toEqual({ missing: [], extra: [] });
});

test('cert-manager overlay: the same minus certificates and caBundle', () => {
  const granted = permissionsOf(grantedAccess(certManager, OPERATOR));
  const needed = permissionsOf(operatorAccess({ ...CONTEXT, manageCertificates: false }));
  expect(diff(granted, needed)).toEqual({ missing: [], extra: [] });
  expect(granted.some((p) => p.includes('secrets'))).toBe(false);
});

test('the comparison notices a missing and an extra rule', () => {
  const needed = permissionsOf(operatorAccess(CONTEXT));
  const tampered = base.map((o) => structuredClone(o));
  const role = tampered.find((o) => o.kind === 'ClusterRole') as unknown as {
    rules: { resources: string[]; verbs: string[] }[];
  };
  role.rules[0]!.verbs = ['get', 'list', 'watch', 'update'];
  expect(diff(permissionsOf(grantedAccess(tampered, OPERATOR)), needed)).toEqual({
    missing: ['patch core/nodes * *'],
    extra: ['update core/nodes * *'],
  });
});

/** What the operator may do in one namespace: `verb group/resource name` lines (the namespace left out). */
const grantedIn = (objects: KubeObject[], namespace: string) =>
  permissionsOf(grantedAccess(objects, OPERATOR))
    .map((p) => p.split(' '))
    .filter(([, , ns]) => ns === namespace)
    .map(([verb, resource, , name]) => `${verb} ${resource} ${name}`);

describe('each namespace of chainmedic holds only what it needs (docs/adr/0009)', () => {
  test("the operator's namespace (restricted): its Lease and its webhook Secret, no Jobs, no pods", () => {
    expect(grantedIn(base, DEFAULT_NAMESPACE)).toEqual([
      'create coordination.k8s.io/leases *',
      'get coordination.k8s.io/leases *',
      `get core/secrets ${WEBHOOK_SECRET}`,
      'update coordination.k8s.io/leases *',
      `update core/secrets ${WEBHOOK_SECRET}`,
    ]);
    expect(grantedIn(certManager, DEFAULT_NAMESPACE)).toEqual([
      'create coordination.k8s.io/leases *',
      'get coordination.k8s.io/leases *',
      'update coordination.k8s.io/leases *',
    ]);
  });

  test('the agent namespace (privileged): the Jobs and their pods, nothing else (no Secrets, no Leases)', () => {
    for (const build of [base, certManager]) {
      expect(grantedIn(build, AGENT_NAMESPACE)).toEqual([
        'create batch/jobs *',
        'create core/pods *',
        'list batch/jobs *',
        'list core/pods *',
        'watch batch/jobs *',
        'watch core/pods *',
      ]);
    }
  });

  test('the agent namespace holds only the agent ServiceAccount and the RBAC that lets the operator in', () => {
    const kinds = base
      .filter((o) => o.metadata.namespace === AGENT_NAMESPACE)
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    expect(kinds).toEqual([
      `Role/${OPERATOR.name}`,
      `RoleBinding/${OPERATOR.name}`,
      `ServiceAccount/${AGENT_SERVICE_ACCOUNT}`,
    ]);
    const binding = find<{ subjects: unknown[] }>(base, 'RoleBinding', OPERATOR.name, AGENT_NAMESPACE);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', ...OPERATOR }]);
  });
});

test('no wildcards, and Secrets only by name in the operator namespace', () => {
  const granted = grantedAccess(base, OPERATOR);
  for (const a of granted) {
    expect(a.verbs).not.toContain('*');
    expect(a.resource).not.toContain('*');
    expect(a.group).not.toBe('*');
    if (a.resource === 'secrets') {
      expect(a.namespace).toBe(DEFAULT_NAMESPACE);
      expect(a.resourceNames).toEqual([WEBHOOK_SECRET]);
    }
  }
});

describe('the agent Job passes OwnerReferencesPermissionEnforcement (docs/adr/0006)', () => {
  const job = buildAgentJob({
    remediation: { name: 'nr-1', uid: '00000000-0000-0000-0000-000000000001' },
    nodeName: 'aks-nodepool1-1-vmss000000',
    attempt: 1,
    dryRun: false,
    namespace: AGENT_NAMESPACE,
    image: 'chainmedic:0.1.0',
    timeoutSeconds: 300,
    agentWaitSeconds: 90,
    ttlAfterFinishedSeconds: 3600,
  });
  const checks = ownerReferenceChecks(job, (kind) => {
    expect(kind).toBe(NODE_REMEDIATION_KIND);
    return { resource: NODE_REMEDIATION_PLURAL, namespaced: false };
  });

  test('its ownerReference blocks the deletion of its owner, so the create is checked', () => {
    // Cluster-wide: the owner is cluster-scoped, so only a ClusterRole bound cluster-wide can allow it.
    expect(checks).toEqual([
      { verb: 'update', group: 'chainmedic.io', resource: 'noderemediations/finalizers', name: 'nr-1' },
    ]);
  });

  test('the declared access and the shipped RBAC both allow it', () => {
    for (const check of checks) {
      expect(isAllowed(check, operatorAccess(CONTEXT))).toBe(true);
      expect(isAllowed(check, grantedAccess(base, OPERATOR))).toBe(true);
    }
  });

  test('without the finalizers rule it is refused', () => {
    const trimmed = operatorAccess(CONTEXT).filter((a) => a.resource !== 'noderemediations/finalizers');
    expect(checks.every((check) => isAllowed(check, trimmed))).toBe(false);
  });
});

test('the agent ServiceAccount has no RBAC at all', () => {
  for (const namespace of [AGENT_NAMESPACE, DEFAULT_NAMESPACE])
    expect(grantedAccess(base, { name: AGENT_SERVICE_ACCOUNT, namespace })).toEqual([]);
});

describe('REST calls map onto the declared access', () => {
  const access = operatorAccess(CONTEXT);
  const allowed: [string, string, string?][] = [
    ['GET', paths.nodes(), 'watch=true'],
    ['PATCH', paths.node('aks-nodepool1-1-vmss000000')],
    ['GET', paths.pods('kube-system'), 'labelSelector=k8s-app%3Dazure-npm'],
    ['GET', paths.podLog('kube-system', 'azure-npm-abcde'), 'previous=true'],
    ['DELETE', paths.pod('kube-system', 'azure-npm-abcde')],
    ['GET', paths.events('kube-system'), 'watch=1'],
    ['POST', paths.events('default')],
    ['PATCH', paths.event('default', 'node-1.abc')],
    [
      'GET',
      '/apis/apps/v1/namespaces/kube-system/daemonsets',
      'fieldSelector=metadata.name%3Dazure-npm&watch=true',
    ],
    ['POST', paths.jobs(AGENT_NAMESPACE), 'dryRun=All'],
    ['POST', paths.jobs(AGENT_NAMESPACE)],
    ['GET', paths.jobs(AGENT_NAMESPACE), 'labelSelector=app.kubernetes.io%2Fname%3Dchainmedic&watch=true'],
    ['POST', paths.pods(AGENT_NAMESPACE), 'dryRun=All'],
    ['GET', paths.pods(AGENT_NAMESPACE), 'labelSelector=job-name%3Dx'],
    ['PUT', paths.lease(DEFAULT_NAMESPACE, 'chainmedic')],
    ['POST', paths.remediations()],
    ['PUT', paths.remediationStatus('nr-1')],
    ['GET', paths.policies(), 'watch=true'],
    ['PATCH', paths.policyStatus('default')],
    ['PUT', secretPath(DEFAULT_NAMESPACE, WEBHOOK_SECRET)],
    ['PATCH', webhookConfigPath(WEBHOOK_CONFIGURATION)],
  ];
  test.each(allowed.map(([method, path, query]) => ({ method, path, query: query ?? '' })))(
    '$method $path?$query is allowed',
    ({ method, path, query }) => {
      const call = accessForRequest(method, path, query);
      expect(call).toBeDefined();
      expect(isAllowed(call!, access)).toBe(true);
    },
  );

  const refused: [string, string][] = [
    ['DELETE', paths.node('n')],
    ['POST', paths.jobs('kube-system')],
    // No Jobs and no pods in the operator's own (restricted) namespace: they are the agent namespace's.
    ['POST', paths.jobs(DEFAULT_NAMESPACE)],
    ['POST', paths.pods(DEFAULT_NAMESPACE)],
    ['GET', paths.pods(DEFAULT_NAMESPACE)],
    ['DELETE', paths.pod(DEFAULT_NAMESPACE, 'x')],
    // And nothing of the operator's in the privileged agent namespace.
    ['GET', secretPath(AGENT_NAMESPACE, WEBHOOK_SECRET)],
    ['PUT', paths.lease(AGENT_NAMESPACE, 'chainmedic')],
    ['DELETE', paths.pod(AGENT_NAMESPACE, 'x')],
    ['DELETE', paths.job(AGENT_NAMESPACE, 'j-1')],
    ['GET', '/api/v1/secrets'],
    ['GET', secretPath('kube-system', WEBHOOK_SECRET)],
    ['GET', secretPath(DEFAULT_NAMESPACE, 'other')],
    ['POST', '/api/v1/namespaces/chainmedic-system/secrets'],
    ['PUT', paths.policy('default')],
    ['DELETE', paths.job(DEFAULT_NAMESPACE, 'j-1')],
    ['DELETE', paths.remediation('nr-1')],
    ['PATCH', webhookConfigPath('someone-elses')],
    ['DELETE', paths.remediations()],
  ];
  test.each(refused)('%s %s is refused', (method, path) => {
    expect(isAllowed(accessForRequest(method, path)!, access)).toBe(false);
  });

  test('paths the RBAC does not cover', () => {
    expect(accessForRequest('GET', '/version')).toBeUndefined();
    expect(accessForRequest('GET', '/apis')).toBeUndefined();
    expect(accessForRequest('GET', '/api/v1/namespaces/default/pods/p/log?previous=true')).toEqual({
      verb: 'get',
      group: '',
      resource: 'pods/log',
      namespace: 'default',
      name: 'p',
    });
  });
});
