/**
 * What the control-plane tests that drive a remediation share: azure-npm as AKS runs it, the incident's
 * detection-failure log, the agent's report of a kubelet restart, the shapes of the objects they read, and the
 * steps a test plays as the node (crash-loop azure-npm; complete the agent's pod; finish the crash-looping pod's
 * deletion and start its replacement) while the operator under test does the rest.
 */
import { serializeResult } from '../../src/agent/serialize.js';
import { agentResultSchema, type AgentResult, type ChainCheck } from '../../src/agent/result.js';
import {
  AGENT_SERVICE_ACCOUNT,
  API_VERSION,
  CORDON_MARKER_ANNOTATION,
  NODE_REMEDIATION_KIND,
  type NodeRemediationStatus,
} from '../../src/api/index.js';
import type { KubeRest } from '../../src/kube/rest.js';
import { agentArgs, AGENT_CONTAINER, XTABLES_LOCK } from '../../src/remediation/job.js';
import type { FakeKubelet, PodRef } from './kubelet.js';
import { AGENT_NAMESPACE, NAMESPACE } from './operator-install.js';

export const NPM = { namespace: 'kube-system', daemonSet: 'azure-npm', container: 'azure-npm' };

/** azure-npm's last lines before it exits (the incident's own log). */
export const DETECTION_FAILURE_LOG = [
  'executing iptables command [iptables-nft[] with args [-w 60 -L KUBE-KUBELET-CANARY -t mangle -n]',
  'error: There was an error running command: [iptables-nft -w 60 -L KUBE-KUBELET-CANARY -t mangle -n] Stderr: [exit status 1, iptables: No chain/target/match by that name.]',
  'executing iptables command [iptables-legacy[] with args [-w 60 -L KUBE-KUBELET-CANARY -t mangle -n]',
  'error: There was an error running command: [iptables-legacy -w 60 -L KUBE-IPTABLES-HINT -t mangle -n] Stderr: [exit status 1, iptables: No chain/target/match by that name.]',
  'error: There was an error running command: [iptables-legacy -w 60 -L KUBE-KUBELET-CANARY -t mangle -n] Stderr: [exit status 1, iptables: No chain/target/match by that name.]',
  'failed to detect iptables version: unable to locate which iptables version kube proxy is using',
  '',
].join('\n');

/** The DaemonSet as AKS ships azure-npm (the parts the scheduler and the operator read). */
export const AZURE_NPM = {
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

/** The RemediationPolicy `default` with every default: the one whose status the operator keeps. */
export const DEFAULT_POLICY = {
  apiVersion: API_VERSION,
  kind: 'RemediationPolicy',
  metadata: { name: 'default' },
  spec: {},
};

/** What `chainmedic agent remediate` reports after restarting kubelet on a node that lost the init race. */
export function agentRestartedKubelet(): AgentResult {
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

export interface Pod {
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
    volumes?: { name: string; hostPath?: { path: string; type?: string } }[];
  };
  status?: { phase?: string; containerStatuses?: unknown[] };
}
export interface Remediation {
  metadata: { name: string; uid: string };
  spec: { nodeName: string; trigger: { source: string; pod?: string; podUid?: string } };
  status?: NodeRemediationStatus;
}
export interface Job {
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
export interface Node {
  metadata: { annotations?: Record<string, string> };
  spec: { unschedulable?: boolean };
}
export interface KubeEvent {
  type?: string;
  reason: string;
  message?: string;
  count?: number;
  metadata: { namespace?: string };
  involvedObject: { kind: string; name: string; uid?: string };
  source?: { component?: string };
}

export const refOf = (pod: Pod): PodRef => ({
  namespace: pod.metadata.namespace,
  name: pod.metadata.name,
  uid: pod.metadata.uid,
});

/** Waits for `check` (the test's own wait: it knows the operator and what ends a wait early). */
export type Wait = (check: () => boolean | Promise<boolean>, what: string) => Promise<void>;

/** Reads and node-side steps over the admin's `rest`; `wait` is the test's. */
export function remediationDriver(rest: KubeRest, wait: Wait) {
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

  /**
   * azure-npm crash-loops on the kubelet's node with the detection failure in its previous log (the operator
   * reads it through `pods/log`); returns the crash-looping pod.
   */
  async function crashLoopNpm(kubelet: FakeKubelet): Promise<Pod> {
    let crashing: Pod | undefined;
    await wait(
      async () => (crashing = (await npmPodsOn(kubelet))[0]) !== undefined,
      `the DaemonSet's azure-npm pod bound to ${kubelet.nodeName}`,
    );
    kubelet.setPreviousLog(refOf(crashing!), NPM.container, DETECTION_FAILURE_LOG);
    await kubelet.crashLoop(refOf(crashing!), NPM.container, 5);
    return crashing!;
  }

  /** The NodeRemediation the operator records for the node. */
  async function remediationFor(nodeName: string): Promise<Remediation> {
    let nr: Remediation | undefined;
    await wait(
      async () => (nr = (await remediationsOn(nodeName))[0]) !== undefined,
      `a NodeRemediation for ${nodeName}`,
    );
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

    // The Job and its pod in the agent namespace (privileged), none beside the operator (restricted).
    let agent: Pod | undefined;
    await wait(
      async () =>
        (agent = (await kubelet.pods(AGENT_NAMESPACE)).find(
          (p) => (p as Pod).metadata.labels?.['job-name'] !== undefined,
        ) as Pod | undefined) !== undefined,
      `the Job controller's agent pod on ${nodeName}`,
    );
    const jobName = agent!.metadata.labels!['job-name']!;
    const job = await rest.get<Job>(`/apis/batch/v1/namespaces/${AGENT_NAMESPACE}/jobs/${jobName}`);
    expect(await list(`/apis/batch/v1/namespaces/${NAMESPACE}/jobs`)).toEqual([]);
    expect(await kubelet.pods(NAMESPACE)).toEqual([]);
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
    // The host's iptables lock, so the agent's `iptables -w` waits for kubelet and kube-proxy.
    expect(spec.volumes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ hostPath: { path: XTABLES_LOCK, type: 'FileOrCreate' } }),
      ]),
    );
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

  return { list, remediationsOn, npmPodsOn, node, crashLoopNpm, remediationFor, finishRemediation };
}
