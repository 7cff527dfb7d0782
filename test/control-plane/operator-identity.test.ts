/**
 * The built operator on the real control plane with its own identity: the shipped manifests applied, the
 * operator run with a token of its ServiceAccount (never the admin's) and exactly the shipped RBAC. The test
 * plays the kubelet (test/control-plane/kubelet.ts) and drives one remediation end to end; every API call the
 * operator makes must pass (no 403 in its log, none in its own request metrics). What the operator does when a
 * permission is missing (the Job refused before any cordon) is in refusals.test.ts.
 */
import { NODE_REMEDIATION_KIND } from '../../src/api/index.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { kubeClient } from '../../src/kube/client.js';
import type { KubeRest } from '../../src/kube/rest.js';
import { SECRET_KEYS, WEBHOOK_CONFIGURATION, WEBHOOK_SECRET } from '../../src/server/certs/names.js';
import { kubectl } from '../kit/kubectl.js';
import { FakeKubelet } from './kubelet.js';
import {
  admin,
  apiResponseCodes,
  install,
  NAMESPACE,
  OPERATOR,
  refusedCalls,
  SERVICE_ACCOUNT_USER,
  serviceAccountKubeconfig,
  startOperatorAs,
  until,
  type RunningOperator,
} from './operator-install.js';
import {
  AZURE_NPM,
  DEFAULT_POLICY,
  NPM,
  remediationDriver,
  type KubeEvent,
  type Remediation,
} from './remediation-fixtures.js';

const NODE_A = 'aks-nodepool1-31415926-vmss000000';

describe('the operator with its ServiceAccount and exactly the shipped RBAC', () => {
  let cp: ControlPlane;
  let rest: KubeRest;
  let operatorKubeconfig: string;
  let operator: RunningOperator | undefined;
  const kubelets: FakeKubelet[] = [];

  let drive: ReturnType<typeof remediationDriver>;
  /** A refused call ends a wait at once, with the refusal, instead of when its time runs out. */
  const wait = (check: () => boolean | Promise<boolean>, what: string) =>
    until(operator, check, what, {
      stopIf: () => {
        const refused = refusedCalls(operator?.log() ?? '');
        return refused.length > 0
          ? `the API server refused the operator:\n${refused.slice(0, 3).join('\n')}`
          : undefined;
      },
    });

  beforeAll(async () => {
    cp = await startControlPlane();
    rest = kubeClient(cp.adminKubeconfig).rest;
    drive = remediationDriver(rest, wait);
    const applied = await install(cp);
    expect(applied.stderr).toBe('');
    // azure-npm as AKS runs it; the DaemonSet controller and the scheduler place its pods.
    await rest.create(`/apis/apps/v1/namespaces/${NPM.namespace}/daemonsets`, AZURE_NPM);
    kubelets.push(await FakeKubelet.start(rest, NODE_A));
    operatorKubeconfig = await serviceAccountKubeconfig(cp);
    operator = await startOperatorAs(cp, operatorKubeconfig, `${cp.dir}/operator.log`);
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    for (const k of kubelets) await k.stop();
    await cp?.stop();
  });

  it('runs as its ServiceAccount: caches synced, leads, manages its webhook Secret and caBundle', async () => {
    const who = await kubectl(operatorKubeconfig, [
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    expect(who.stdout).toBe(SERVICE_ACCOUNT_USER);
    // The admin's token is nowhere in what the operator was given.
    const given = await kubectl(operatorKubeconfig, ['config', 'view', '--raw', '-o', 'json']);
    expect(given.stdout).not.toContain(cp.adminToken);

    const identity = operator!.identity();
    expect(identity).toBeDefined();
    await wait(async () => {
      const lease = await rest.get<{ spec: { holderIdentity?: string } }>(
        `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${OPERATOR}`,
      );
      return (
        lease.spec.holderIdentity === identity && operator!.log().includes('"msg":"leading: reconciling"')
      );
    }, `the Lease ${NAMESPACE}/${OPERATOR} held by ${identity}, and the operator leading`);

    // The Secret and the caBundle (both webhooks) hold the operator's own CA.
    await wait(async () => {
      const secret = await rest.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${NAMESPACE}/secrets/${WEBHOOK_SECRET}`,
      );
      const data = secret.data ?? {};
      if (![SECRET_KEYS.caCert, SECRET_KEYS.caKey, SECRET_KEYS.cert, SECRET_KEYS.key].every((k) => data[k]))
        return false;
      const ca = Buffer.from(data[SECRET_KEYS.caCert]!, 'base64').toString('utf8').trim();
      const config = await rest.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(
        `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}`,
      );
      return (
        config.webhooks.length === 2 &&
        config.webhooks.every((w) =>
          Buffer.from(w.clientConfig.caBundle ?? '', 'base64')
            .toString('utf8')
            .includes(ca),
        )
      );
    }, `the Secret ${WEBHOOK_SECRET} filled and its CA in the caBundle of both webhooks`);
  });

  /**
   * Plays a node broken by the kubelet init race through one remediation: azure-npm crash-loops with the
   * detection failure, the operator confirms it through `pods/log`, cordons, runs the agent Job (whose pod the
   * test completes with the agent's result), deletes the crash-looping pod (the test finishes the deletion and
   * starts the DaemonSet's replacement Ready), verifies and uncordons.
   */
  async function healBrokenNode(kubelet: FakeKubelet): Promise<Remediation> {
    const crashing = await drive.crashLoopNpm(kubelet);
    const nr = await drive.remediationFor(kubelet.nodeName);
    expect(nr.spec.trigger).toMatchObject({ source: 'CrashLoop', pod: crashing.metadata.name });
    expect(nr.spec.trigger.podUid).toBe(crashing.metadata.uid);
    await drive.finishRemediation(kubelet, nr, crashing);
    return nr;
  }

  it('remediates a node end to end; no API call of the remediation is refused', async () => {
    // The policy whose status the operator keeps (a merge patch of remediationpolicies/status).
    await admin(cp, ['apply', '-f', '-'], JSON.stringify(DEFAULT_POLICY));
    const kubelet = kubelets[0]!;
    const nr = await healBrokenNode(kubelet);

    // The previous log was read through the API server, which forwarded it to the node's kubelet port.
    const npmLog = kubelet.requests.filter((r) => r.path.startsWith(`/containerLogs/${NPM.namespace}/`));
    expect(npmLog.length).toBeGreaterThan(0);
    expect(npmLog[0]!.query).toMatchObject({ previous: 'true', tailLines: '200', limitBytes: '65536' });

    // Events: on the Node and on the NodeRemediation (written to `default`), by chainmedic.
    await wait(async () => {
      const events = await drive.list<KubeEvent>('/api/v1/namespaces/default/events');
      return events.some(
        (e) => e.reason === 'RemediationSucceeded' && e.involvedObject.name === kubelet.nodeName,
      );
    }, 'the RemediationSucceeded Event on the Node');
    const events = (await drive.list<KubeEvent>('/api/v1/namespaces/default/events')).filter(
      (e) => e.source?.component === 'chainmedic',
    );
    const reasons = (kind: string, name: string) =>
      events
        .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name)
        .map((e) => e.reason);
    expect(reasons('Node', kubelet.nodeName)).toEqual(
      expect.arrayContaining(['CrashLoopConfirmed', 'RemediationSucceeded']),
    );
    expect(reasons(NODE_REMEDIATION_KIND, nr.metadata.name)).toEqual(
      expect.arrayContaining([
        'AttemptStarted',
        'Cordoned',
        'KubeletRestarted',
        'CrashingPodDeleted',
        'Remediated',
      ]),
    );

    // The fleet view on the policy (published every 10 s by the leader).
    await wait(async () => {
      const policy = await rest.get<{ status?: { observedGeneration?: number; linuxNodes?: number } }>(
        '/apis/chainmedic.io/v1alpha1/remediationpolicies/default',
      );
      return policy.status?.observedGeneration === 1 && policy.status.linuxNodes === 1;
    }, 'the operator wrote the RemediationPolicy status');

    expect(refusedCalls(operator!.log())).toEqual([]);
    const codes = await apiResponseCodes(operator!.process.metricsPort);
    expect(Object.keys(codes).filter((k) => / (401|403)$/.test(k))).toEqual([]);
    // Each kind of call the remediation makes was answered (the counts come from the operator itself).
    for (const call of ['post 201', 'put 200', 'patch 200', 'delete 200', 'get 200', 'watch 200'])
      expect(codes[call]).toBeGreaterThan(0);
  }, 180_000);
});
