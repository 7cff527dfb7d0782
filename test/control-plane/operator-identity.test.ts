/**
 * The built operator on the real control plane with its own identity: the shipped manifests applied, the
 * operator run with a token of its ServiceAccount (never the admin's) and exactly the shipped RBAC. The test
 * plays the kubelet (test/control-plane/kubelet.ts) and drives one remediation end to end; every API call the
 * operator makes must pass (no 403 in its log, none in its own request metrics). The last case removes one
 * permission from the ClusterRole and sees the same checks catch it.
 */
import { parseAllDocuments } from 'yaml';
import { serializeResult } from '../../src/agent/serialize.js';
import { agentResultSchema, type AgentResult, type ChainCheck } from '../../src/agent/result.js';
import {
  AGENT_SERVICE_ACCOUNT,
  API_VERSION,
  CORDON_MARKER_ANNOTATION,
  NODE_REMEDIATION_KIND,
  type NodeRemediationStatus,
} from '../../src/api/index.js';
import { startControlPlane, type ControlPlane } from '../../src/control-plane/harness.js';
import { kubeClient } from '../../src/kube/client.js';
import type { KubeRest } from '../../src/kube/rest.js';
import { agentArgs, AGENT_CONTAINER } from '../../src/remediation/job.js';
import { SECRET_KEYS, WEBHOOK_CONFIGURATION, WEBHOOK_SECRET } from '../../src/server/certs/names.js';
import { kubectl } from '../helpers/kubectl.js';
import { FakeKubelet, type PodRef } from './kubelet.js';
import {
  admin,
  apiResponseCodes,
  install,
  MANIFESTS,
  NAMESPACE,
  OPERATOR,
  refusedCalls,
  SERVICE_ACCOUNT_USER,
  serviceAccountKubeconfig,
  startOperatorAs,
  until,
  type RunningOperator,
} from './operator-install.js';

const NPM = { namespace: 'kube-system', daemonSet: 'azure-npm', container: 'azure-npm' };
const NODE_A = 'aks-nodepool1-31415926-vmss000000';
const NODE_B = 'aks-nodepool1-31415926-vmss000001';
/** azure-npm's last lines before it exits (the incident's own log). */
const DETECTION_FAILURE_LOG = [
  'executing iptables command [iptables-nft[] with args [-w 60 -L KUBE-KUBELET-CANARY -t mangle -n]',
  'error: There was an error running command: [iptables-nft -w 60 -L KUBE-KUBELET-CANARY -t mangle -n] Stderr: [exit status 1, iptables: No chain/target/match by that name.]',
  'executing iptables command [iptables-legacy[] with args [-w 60 -L KUBE-KUBELET-CANARY -t mangle -n]',
  'error: There was an error running command: [iptables-legacy -w 60 -L KUBE-IPTABLES-HINT -t mangle -n] Stderr: [exit status 1, iptables: No chain/target/match by that name.]',
  'error: There was an error running command: [iptables-legacy -w 60 -L KUBE-KUBELET-CANARY -t mangle -n] Stderr: [exit status 1, iptables: No chain/target/match by that name.]',
  'failed to detect iptables version: unable to locate which iptables version kube proxy is using',
  '',
].join('\n');

/** The DaemonSet as AKS ships azure-npm (the parts the scheduler and the operator read). */
const AZURE_NPM = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: NPM.daemonSet, namespace: NPM.namespace, labels: { app: 'azure-npm' } },
  spec: {
    selector: { matchLabels: { 'k8s-app': 'azure-npm' } },
    template: {
      metadata: { labels: { 'k8s-app': 'azure-npm' } },
      spec: {
        priorityClassName: 'system-node-critical',
        hostNetwork: true,
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [
          { operator: 'Exists', effect: 'NoExecute' },
          { operator: 'Exists', effect: 'NoSchedule' },
        ],
        containers: [
          {
            name: NPM.container,
            image: 'mcr.microsoft.com/containernetworking/azure-npm:v1.6.33',
            securityContext: { privileged: true },
          },
        ],
      },
    },
  },
};

/** What `chainmedic agent remediate` reports after restarting kubelet on a node that lost the init race. */
function agentRestartedKubelet(): AgentResult {
  const check = (binary: string, chain: string, found: boolean): ChainCheck => ({
    binary,
    backend: binary.endsWith('nft') ? 'nft' : 'legacy',
    chain,
    table: 'mangle',
    exitCode: found ? 0 : 1,
    found,
    stderr: found ? '' : 'iptables: No chain/target/match by that name.',
    failure: null,
  });
  const missing = ['iptables-nft', 'iptables-legacy'].flatMap((b) =>
    ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY'].map((c) => check(b, c, false)),
  );
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, '.000Z');
  return agentResultSchema.parse({
    schemaVersion: 1,
    unit: 'kubelet.service',
    outcome: 'Restarted',
    message: 'restarted kubelet.service; the chains are back',
    before: { schemaVersion: 1, verdict: 'missing', backend: null, checks: missing, ipv6: null },
    after: {
      schemaVersion: 1,
      verdict: 'present',
      backend: 'nft',
      checks: [check('iptables-nft', 'KUBE-IPTABLES-HINT', true)],
      ipv6: null,
    },
    kubeletRestarted: true,
    evidence: {
      initLines: [
        {
          kind: 'failed',
          timestamp: at,
          protocol: 'IPv4',
          line: `kubelet[2825]: I1129 kubelet_network_linux.go:58] "Failed to initialize iptables rules; some functionality may be missing." protocol="IPv4"`,
        },
      ],
      kubelet: { activeState: 'active', activeEnterTimestamp: at },
      iptables: { activeState: 'active', activeEnterTimestamp: at },
      errors: [],
    },
    cause: 'KubeletInitRace',
    durationMs: 288,
    truncated: false,
  });
}

interface Pod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string; uid: string }[];
  };
  spec: {
    nodeName?: string;
    serviceAccountName?: string;
    hostPID?: boolean;
    hostNetwork?: boolean;
    containers: { name: string; args?: string[]; securityContext?: { privileged?: boolean } }[];
  };
  status?: { phase?: string; containerStatuses?: unknown[] };
}
interface Remediation {
  metadata: { name: string; uid: string };
  spec: { nodeName: string; trigger: { source: string; pod?: string; podUid?: string } };
  status?: NodeRemediationStatus;
}
interface Job {
  metadata: {
    name: string;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}
interface Node {
  metadata: { annotations?: Record<string, string> };
  spec: { unschedulable?: boolean };
}
interface Event {
  reason: string;
  involvedObject: { kind: string; name: string };
  source?: { component?: string };
}

const refOf = (pod: Pod): PodRef => ({
  namespace: pod.metadata.namespace,
  name: pod.metadata.name,
  uid: pod.metadata.uid,
});

describe('the operator with its ServiceAccount and exactly the shipped RBAC', () => {
  let cp: ControlPlane;
  let rest: KubeRest;
  let operatorKubeconfig: string;
  let operator: RunningOperator | undefined;
  const kubelets: FakeKubelet[] = [];

  const list = async <T>(path: string, query?: Record<string, string>) =>
    (await rest.get<{ items: T[] }>(path, query)).items;
  const remediationsOn = async (node: string) =>
    (await list<Remediation>('/apis/chainmedic.io/v1alpha1/noderemediations')).filter(
      (r) => r.spec.nodeName === node,
    );
  const npmPodsOn = async (kubelet: FakeKubelet) =>
    (await kubelet.pods(NPM.namespace)).filter((p) =>
      (p as Pod).metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === NPM.daemonSet),
    ) as Pod[];
  const node = (name: string) => rest.get<Node>(`/api/v1/nodes/${name}`);
  /** A refused call ends a wait at once, with the refusal, instead of when its time runs out. */
  let refusalsExpected = false;
  const wait = (check: () => boolean | Promise<boolean>, what: string) =>
    until(operator, check, what, {
      stopIf: () => {
        const refused = refusalsExpected ? [] : refusedCalls(operator?.log() ?? '');
        return refused.length > 0
          ? `the API server refused the operator:\n${refused.slice(0, 3).join('\n')}`
          : undefined;
      },
    });

  beforeAll(async () => {
    cp = await startControlPlane();
    rest = kubeClient(cp.adminKubeconfig).rest;
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
    const nodeName = kubelet.nodeName;
    let crashing: Pod | undefined;
    await wait(
      async () => (crashing = (await npmPodsOn(kubelet))[0]) !== undefined,
      `the DaemonSet's azure-npm pod bound to ${nodeName}`,
    );
    kubelet.setPreviousLog(refOf(crashing!), NPM.container, DETECTION_FAILURE_LOG);
    await kubelet.crashLoop(refOf(crashing!), NPM.container, 5);

    let nr: Remediation | undefined;
    await wait(
      async () => (nr = (await remediationsOn(nodeName))[0]) !== undefined,
      `a NodeRemediation for ${nodeName}`,
    );
    expect(nr!.spec.trigger).toMatchObject({ source: 'CrashLoop', pod: crashing!.metadata.name });
    expect(nr!.spec.trigger.podUid).toBe(crashing!.metadata.uid);
    await finishRemediation(kubelet, nr!, crashing!);
    return nr!;
  }

  /** From the cordon on: the Job's pod, the crash-looping pod's deletion, its replacement, the uncordon. */
  async function finishRemediation(kubelet: FakeKubelet, nr: Remediation, crashing: Pod): Promise<void> {
    const nodeName = kubelet.nodeName;
    await wait(
      async () =>
        (await node(nodeName)).metadata.annotations?.[CORDON_MARKER_ANNOTATION] === nr.metadata.name,
      `${nodeName} cordoned with the marker ${nr.metadata.name}`,
    );
    expect((await node(nodeName)).spec.unschedulable).toBe(true);

    let agent: Pod | undefined;
    await wait(
      async () =>
        (agent = (await kubelet.pods(NAMESPACE)).find(
          (p) => (p as Pod).metadata.labels?.['job-name'] !== undefined,
        ) as Pod | undefined) !== undefined,
      `the Job controller's agent pod on ${nodeName}`,
    );
    const jobName = agent!.metadata.labels!['job-name']!;
    const job = await rest.get<Job>(`/apis/batch/v1/namespaces/${NAMESPACE}/jobs/${jobName}`);
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: API_VERSION,
        kind: NODE_REMEDIATION_KIND,
        name: nr.metadata.name,
        uid: nr.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const spec = agent!.spec;
    expect(spec).toMatchObject({ nodeName, serviceAccountName: AGENT_SERVICE_ACCOUNT, hostPID: true });
    const container = spec.containers.find((c) => c.name === AGENT_CONTAINER);
    expect(container?.args).toEqual(agentArgs(false, 90));
    expect(container?.securityContext?.privileged).toBe(true);
    await kubelet.terminate(refOf(agent!), AGENT_CONTAINER, 0, serializeResult(agentRestartedKubelet()));

    // The operator deletes the crash-looping pod (kubelet's back-off would delay azure-npm): kubelet ends it.
    await wait(async () => {
      const pod = (await npmPodsOn(kubelet)).find((p) => p.metadata.uid === crashing.metadata.uid);
      return pod === undefined || pod.metadata.deletionTimestamp !== undefined;
    }, `the crash-looping ${crashing.metadata.name} being deleted`);
    await kubelet.finishDeletion(refOf(crashing));

    let replacement: Pod | undefined;
    await wait(
      async () =>
        (replacement = (await npmPodsOn(kubelet)).find((p) => p.metadata.uid !== crashing.metadata.uid)) !==
        undefined,
      `the DaemonSet's replacement azure-npm pod on ${nodeName}`,
    );
    await kubelet.runReady(refOf(replacement!), NPM.container);

    await wait(async () => {
      const current = (await remediationsOn(nodeName)).find((r) => r.metadata.name === nr.metadata.name);
      return current?.status?.phase === 'Succeeded';
    }, `NodeRemediation ${nr.metadata.name} Succeeded`);
    const healed = await node(nodeName);
    expect(healed.spec.unschedulable).toBeFalsy();
    expect(healed.metadata.annotations?.[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    const done = (await remediationsOn(nodeName)).find((r) => r.metadata.name === nr.metadata.name)!;
    expect(done.status).toMatchObject({
      phase: 'Succeeded',
      reason: 'Remediated',
      jobName,
      podDeleted: crashing.metadata.uid,
      agent: { outcome: 'Restarted', kubeletRestarted: true, cause: 'KubeletInitRace' },
    });
  }

  it('remediates a node end to end; no API call of the remediation is refused', async () => {
    // The policy whose status the operator keeps (a merge patch of remediationpolicies/status).
    await admin(
      cp,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: API_VERSION,
        kind: 'RemediationPolicy',
        metadata: { name: 'default' },
        spec: {},
      }),
    );
    const kubelet = kubelets[0]!;
    const nr = await healBrokenNode(kubelet);

    // The previous log was read through the API server, which forwarded it to the node's kubelet port.
    const npmLog = kubelet.requests.filter((r) => r.path.startsWith(`/containerLogs/${NPM.namespace}/`));
    expect(npmLog.length).toBeGreaterThan(0);
    expect(npmLog[0]!.query).toMatchObject({ previous: 'true', tailLines: '200', limitBytes: '65536' });

    // Events: on the Node and on the NodeRemediation (written to `default`), by chainmedic.
    await wait(async () => {
      const events = await list<Event>('/api/v1/namespaces/default/events');
      return events.some(
        (e) => e.reason === 'RemediationSucceeded' && e.involvedObject.name === kubelet.nodeName,
      );
    }, 'the RemediationSucceeded Event on the Node');
    const events = (await list<Event>('/api/v1/namespaces/default/events')).filter(
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

  it('with update on noderemediations/finalizers removed, the Job create is refused and caught', async () => {
    // The shipped ClusterRole minus that one rule (ADR 6), applied over the installed one.
    const shipped = parseAllDocuments((await admin(cp, ['kustomize', MANIFESTS])).stdout)
      .map((doc) => doc.toJS() as { kind?: string; rules?: { resources?: string[] }[] })
      .find((o) => o.kind === 'ClusterRole');
    expect(shipped).toBeDefined();
    const role = JSON.stringify(shipped);
    const without = JSON.stringify({
      ...shipped,
      rules: shipped!.rules!.filter((r) => !r.resources?.includes('noderemediations/finalizers')),
    });
    expect(without).not.toBe(role);
    refusalsExpected = true;
    await admin(cp, ['apply', '-f', '-'], without);
    const logFrom = operator!.log().length;

    const kubelet = await FakeKubelet.start(rest, NODE_B);
    kubelets.push(kubelet);
    let crashing: Pod | undefined;
    await wait(
      async () => (crashing = (await npmPodsOn(kubelet))[0]) !== undefined,
      `the azure-npm pod on ${NODE_B}`,
    );
    kubelet.setPreviousLog(refOf(crashing!), NPM.container, DETECTION_FAILURE_LOG);
    await kubelet.crashLoop(refOf(crashing!), NPM.container, 5);

    await wait(
      () =>
        refusedCalls(operator!.log().slice(logFrom)).some((line) =>
          line.includes('cannot set blockOwnerDeletion'),
        ),
      'the operator reporting the refused Job create',
    );
    const refused = refusedCalls(operator!.log().slice(logFrom));
    expect(refused[0]).toMatch(/POST \/apis\/batch\/v1\/namespaces\/chainmedic-system\/jobs: 403 Forbidden/);
    const [nr] = await remediationsOn(NODE_B);
    expect(nr?.status?.phase).toBe('Remediating');
    expect(await kubelet.pods(NAMESPACE)).toEqual([]);
    expect((await apiResponseCodes(operator!.process.metricsPort))['post 403']).toBeGreaterThan(0);

    // The shipped ClusterRole again: the retried create passes and the remediation completes.
    await admin(cp, ['apply', '-f', '-'], role);
    await finishRemediation(kubelet, nr!, crashing!);
  }, 180_000);
});
