import { NODE_REMEDIATION_KIND, NODE_REMEDIATION_PLURAL } from '../../src/api/index.js';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { kubeClient } from '../../src/kube/client.js';
import { buildAgentJob } from '../../src/remediation/job.js';
import { operatorAccess, type AccessContext } from './access.js';
import { ensureWebhookCertificates } from '../../src/server/certs/ensure.js';
import { WEBHOOK_CONFIGURATION, WEBHOOK_SECRET, WEBHOOK_SERVICE } from '../../src/server/certs/names.js';
import {
  accessForRequest,
  isAllowed,
  ownerReferenceChecks,
  permissionsOf,
  type RequestAccess,
} from './rbac.js';
import type { RequestRecord } from '../../tools/sim/api/request-log.js';
import { isSimKubelet } from '../../tools/sim/api/request-log.js';
import { eventually } from '../kit/eventually.js';
import { AGENT_NAMESPACE, FAST_POLICY, NAMESPACE, phaseOf, startEnv, type Env } from '../kit/env.js';

const CONTEXT: AccessContext = {
  namespace: DEFAULT_NAMESPACE,
  agentNamespace: DEFAULT_AGENT_NAMESPACE,
  targetNamespace: 'kube-system',
  eventNamespace: 'default',
  webhookSecret: WEBHOOK_SECRET,
  webhookConfiguration: WEBHOOK_CONFIGURATION,
  manageCertificates: true,
};

/** Does a declared permission cover a call? (the same matching as isAllowed, one permission at a time) */
function covers(permission: string, call: RequestAccess): boolean {
  const [verb, groupResource, namespace, name] = permission.split(' ') as [string, string, string, string];
  const slash = groupResource.indexOf('/');
  const group = groupResource.slice(0, slash) === 'core' ? '' : groupResource.slice(0, slash);
  const resource = groupResource.slice(slash + 1);
  return (
    verb === call.verb &&
    group === call.group &&
    resource === call.resource &&
    (namespace === '*' || namespace === call.namespace) &&
    (name === '*' || name === call.name)
  );
}

let env: Env;
const calls: RequestRecord[] = [];

const POLICIES = { group: 'chainmedic.io', resource: 'remediationpolicies' };
const policyStatusOf = () =>
  env.cluster.store.get(POLICIES, undefined, 'default') as
    { metadata: { generation?: number }; status?: { observedGeneration?: number } } | undefined;

beforeAll(async () => {
  expect(NAMESPACE).toBe(DEFAULT_NAMESPACE);
  expect(AGENT_NAMESPACE).toBe(DEFAULT_AGENT_NAMESPACE);
  env = await startEnv({ linuxNodes: 3, broken: 1 });
  const log = env.cluster.server.requests;
  const record = log.record.bind(log);
  log.record = (entry) => {
    calls.push(entry);
    record(entry);
  };
  // Watches are recorded when they end: count the ones opened, to know when every one of them was recorded.
  const faults = env.cluster.server.faults;
  const trackWatch = faults.trackWatch.bind(faults);
  let watchesOpened = 0;
  let watchesOpen = 0;
  faults.trackWatch = (facts, close) => {
    const untrack = trackWatch(facts, close);
    // The simulated kubelets watch the same API server; their requests are not logged.
    if (isSimKubelet(facts.userAgent)) return untrack;
    watchesOpened++;
    watchesOpen++;
    let open = true;
    return () => {
      if (open) watchesOpen--;
      open = false;
      untrack();
    };
  };
  const [broken] = env.cluster.brokenNodes().map((b) => b.node);
  await env.start({
    leaderElect: true,
    leaderTimings: { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 },
  });
  await eventually(
    () => env.remediationsOn(broken!).some((r) => phaseOf(r) === 'Succeeded'),
    'the broken node healed',
  );
  // The fleet view on the policy's status: a spec change the operator must acknowledge (observedGeneration), so
  // every run writes that status, not only a run where the periodic publisher happened to fire in time.
  env.setPolicy({ ...FAST_POLICY, maxConcurrent: (FAST_POLICY.maxConcurrent ?? 1) + 1 });
  const generation = policyStatusOf()?.metadata.generation;
  expect(generation).toBeGreaterThan(1);
  await eventually(
    () =>
      policyStatusOf()?.status?.observedGeneration === generation &&
      calls.some((c) => /\/remediationpolicies\/default\/status$/.test(c.path.split('?')[0]!)),
    `the operator wrote the policy status for generation ${generation}`,
  );
  // The webhook's certificate management, as every replica runs it.
  const rest = kubeClient(env.cluster.kubeconfigPath).rest;
  await rest.create('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION },
    webhooks: [{ name: 'remediationpolicies.chainmedic.io', clientConfig: {} }],
  });
  await rest.create(`/api/v1/namespaces/${NAMESPACE}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: WEBHOOK_SECRET, namespace: NAMESPACE },
    type: 'Opaque',
  });
  await ensureWebhookCertificates(rest, {
    namespace: NAMESPACE,
    secretName: WEBHOOK_SECRET,
    service: WEBHOOK_SERVICE,
    webhookName: WEBHOOK_CONFIGURATION,
  });
  // Watches are recorded when they end: stop the operator so its watches close, then wait for their records.
  for (const op of env.operators) await op.stop();
  await eventually(
    () => watchesOpen === 0 && calls.filter((c) => c.verb === 'watch').length >= watchesOpened,
    `the operator's ${watchesOpened} watches closed and recorded`,
  );
  // The two creates above are this test's setup (the manifests ship both objects), not the operator's.
  const setup = (c: RequestRecord) =>
    c.method === 'POST' && /\/(validatingwebhookconfigurations|namespaces\/[^/]+\/secrets)$/.test(c.path);
  calls.splice(0, calls.length, ...calls.filter((c) => !setup(c)));
}, 90_000);

afterAll(() => env?.close());

test('every API call the operator made during a remediation is allowed by the declared access', () => {
  const access = operatorAccess(CONTEXT);
  const mapped = calls
    .map((c) => ({ record: `${c.method} ${c.path}`, call: accessForRequest(c.method, c.path) }))
    .filter((c): c is { record: string; call: RequestAccess } => c.call !== undefined);
  expect(mapped.length).toBeGreaterThan(20);
  const denied = mapped.filter((m) => !isAllowed(m.call, access)).map((m) => m.record);
  expect([...new Set(denied)]).toEqual([]);
});

test('the Jobs and their pods were created, dry-run and watched in the agent namespace only', () => {
  const jobOrPod = calls
    .map((c) => accessForRequest(c.method, c.path))
    .filter((c): c is RequestAccess => c?.group === 'batch' || (c?.group === '' && c.resource === 'pods'))
    .filter((c) => c.namespace !== 'kube-system');
  const seen = new Set(jobOrPod.map((c) => `${c.verb} ${c.resource} ${c.namespace}`));
  expect([...seen].sort()).toEqual(
    [
      `create jobs ${AGENT_NAMESPACE}`,
      `create pods ${AGENT_NAMESPACE}`,
      `list jobs ${AGENT_NAMESPACE}`,
      `list pods ${AGENT_NAMESPACE}`,
      `watch jobs ${AGENT_NAMESPACE}`,
      `watch pods ${AGENT_NAMESPACE}`,
    ].sort(),
  );
});

/**
 * What a call makes the API server check besides the call itself: creating the agent Job, whose ownerReference
 * blocks its NodeRemediation's deletion, is also an `update noderemediations/finalizers` check
 * (OwnerReferencesPermissionEnforcement; the Job is built as the operator builds it).
 */
function impliedChecks(call: RequestAccess): RequestAccess[] {
  if (call.verb !== 'create' || call.group !== 'batch' || call.resource !== 'jobs') return [];
  const job = buildAgentJob({
    remediation: { name: 'nr', uid: 'uid' },
    nodeName: 'node',
    attempt: 1,
    dryRun: false,
    namespace: call.namespace ?? DEFAULT_AGENT_NAMESPACE,
    image: 'chainmedic:dev',
    timeoutSeconds: 300,
    agentWaitSeconds: 90,
    ttlAfterFinishedSeconds: 3600,
  });
  return ownerReferenceChecks(job, (kind) => {
    if (kind !== NODE_REMEDIATION_KIND) throw new Error(`unexpected owner kind ${kind}`);
    return { resource: NODE_REMEDIATION_PLURAL, namespaced: false };
  });
}

test('declared permissions this scenario did not exercise are only the known ones', () => {
  const used = calls
    .map((c) => accessForRequest(c.method, c.path))
    .filter((c): c is RequestAccess => !!c)
    .flatMap((c) => [c, ...impliedChecks(c)]);
  const unused = permissionsOf(operatorAccess(CONTEXT)).filter((p) => !used.some((call) => covers(p, call)));
  // Kept on purpose: single-object reads of nodes and azure-npm pods, which the RBAC brief lists (cheap, and
  // what a fresh read before a decision would need). Anything else unused is a rule to drop.
  expect(unused).toEqual(['get core/nodes * *', 'get core/pods kube-system *']);
});
