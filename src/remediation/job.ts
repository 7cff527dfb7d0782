import {
  AGENT_SERVICE_ACCOUNT,
  API_VERSION,
  LABEL_APP,
  LABEL_APP_VALUE,
  LABEL_NODE,
  LABEL_PROBE,
  LABEL_REMEDIATION,
  NODE_REMEDIATION_KIND,
  jobNameFor,
  labelValue,
  probeJobName,
  type ProbeReason,
} from '../api/index.js';

/** The batch/v1 Job the operator creates (plain JSON, structurally a V1Job). */
export interface AgentJob {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller: boolean;
      blockOwnerDeletion?: boolean;
    }[];
  };
  spec: {
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: AgentPodSpec;
    };
  };
}

export interface AgentPodSpec {
  nodeName: string;
  restartPolicy: 'Never';
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  hostNetwork: boolean;
  hostPID: boolean;
  priorityClassName: string;
  tolerations: { operator: 'Exists' }[];
  containers: {
    name: string;
    image: string;
    command: string[];
    args: string[];
    securityContext: { privileged: boolean; runAsUser: number; runAsNonRoot: boolean };
    terminationMessagePolicy: 'FallbackToLogsOnError';
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    volumeMounts: { name: string; mountPath: string }[];
  }[];
  volumes: { name: string; hostPath: { path: string; type: 'FileOrCreate' } }[];
}

export interface AgentJobInput {
  remediation: { name: string; uid: string };
  nodeName: string;
  attempt: number;
  /** Probe only (`agent probe --json`): no kubelet restart is possible. */
  dryRun: boolean;
  namespace: string;
  image: string;
  timeoutSeconds: number;
  agentWaitSeconds: number;
  ttlAfterFinishedSeconds: number;
}

export const AGENT_CONTAINER = 'agent';
export const KUBELET_UNIT = 'kubelet.service';
/**
 * The lock every iptables binary takes (`-w` waits on it). The agent mounts the host's own file, as azure-npm
 * and kube-proxy do: without it `-w 60` waits on a lock private to the container and never for kubelet or
 * kube-proxy holding the real one. FileOrCreate: a node where nothing has taken it yet gets the file.
 */
export const XTABLES_LOCK = '/run/xtables.lock';
const XTABLES_LOCK_VOLUME = 'xtables-lock';

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/**
 * The agent's command line. Only validated numbers are interpolated: the node is chosen by spec.nodeName,
 * never by an argument, and nothing from a CR, a node name or a log reaches the command.
 */
export function agentArgs(dryRun: boolean, agentWaitSeconds: number): string[] {
  if (dryRun) return ['agent', 'probe', '--json'];
  return [
    'agent',
    'remediate',
    '--host',
    'nsenter',
    '--kubelet-unit',
    KUBELET_UNIT,
    '--wait-seconds',
    String(positiveInt('agentWaitSeconds', agentWaitSeconds)),
  ];
}

export function buildAgentJob(input: AgentJobInput): AgentJob {
  const name = jobNameFor(input.remediation.name, positiveInt('attempt', input.attempt));
  const labels = {
    [LABEL_APP]: LABEL_APP_VALUE,
    [LABEL_REMEDIATION]: labelValue(input.remediation.name),
    [LABEL_NODE]: labelValue(input.nodeName),
  };
  return agentJobOf({
    name,
    labels,
    owner: {
      apiVersion: API_VERSION,
      kind: NODE_REMEDIATION_KIND,
      name: input.remediation.name,
      uid: input.remediation.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
    args: agentArgs(input.dryRun, input.agentWaitSeconds),
    ...input,
  });
}

export interface ProbeJobInput {
  node: { name: string; uid: string };
  reason: ProbeReason;
  /** What this probe is for (a kubelet start, a boot, an audit round): the Job's name derives from it. */
  key: string;
  namespace: string;
  image: string;
  timeoutSeconds: number;
  ttlAfterFinishedSeconds: number;
}

/**
 * A probe-only Job (`agent probe --json`, read-only: it can never restart kubelet), with the remediation Job's
 * security. Owned by its Node, so it goes when the Node goes; never blocking the Node's deletion (and needing no
 * nodes/finalizers grant).
 */
export function buildProbeJob(input: ProbeJobInput): AgentJob {
  return agentJobOf({
    name: probeJobName(input.node.name, input.key),
    labels: {
      [LABEL_APP]: LABEL_APP_VALUE,
      [LABEL_PROBE]: input.reason,
      [LABEL_NODE]: labelValue(input.node.name),
    },
    owner: { apiVersion: 'v1', kind: 'Node', name: input.node.name, uid: input.node.uid, controller: false },
    args: agentArgs(true, 1),
    nodeName: input.node.name,
    namespace: input.namespace,
    image: input.image,
    timeoutSeconds: input.timeoutSeconds,
    ttlAfterFinishedSeconds: input.ttlAfterFinishedSeconds,
  });
}

function agentJobOf(input: {
  name: string;
  labels: Record<string, string>;
  owner: AgentJob['metadata']['ownerReferences'][number];
  args: string[];
  nodeName: string;
  namespace: string;
  image: string;
  timeoutSeconds: number;
  ttlAfterFinishedSeconds: number;
}): AgentJob {
  const { name, labels } = input;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: input.namespace, labels, ownerReferences: [input.owner] },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: positiveInt('timeoutSeconds', input.timeoutSeconds),
      ttlSecondsAfterFinished: positiveInt('ttlAfterFinishedSeconds', input.ttlAfterFinishedSeconds),
      template: {
        metadata: { labels },
        spec: {
          nodeName: input.nodeName,
          restartPolicy: 'Never',
          serviceAccountName: AGENT_SERVICE_ACCOUNT,
          automountServiceAccountToken: false,
          hostNetwork: true,
          hostPID: true,
          priorityClassName: 'system-node-critical',
          // Runs on a cordoned, tainted node by design.
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: AGENT_CONTAINER,
              image: input.image,
              command: ['chainmedic'],
              args: input.args,
              securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false },
              terminationMessagePolicy: 'FallbackToLogsOnError',
              resources: {
                requests: { cpu: '10m', memory: '64Mi' },
                limits: { memory: '256Mi' },
              },
              volumeMounts: [{ name: XTABLES_LOCK_VOLUME, mountPath: XTABLES_LOCK }],
            },
          ],
          volumes: [{ name: XTABLES_LOCK_VOLUME, hostPath: { path: XTABLES_LOCK, type: 'FileOrCreate' } }],
        },
      },
    },
  };
}

/**
 * The pod the Job controller would create from `job`, for a server-side dry run before the cordon: Pod Security
 * Admission, pod-level policies (Gatekeeper, Kyverno), ResourceQuota and LimitRange on pods judge the pod,
 * not the Job. Labelled as the controller labels it, so selectors match as they would.
 */
export function admissionPodFor(job: AgentJob): {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: AgentPodSpec;
} {
  const { name, namespace } = job.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-admission`,
      namespace,
      labels: {
        ...job.spec.template.metadata.labels,
        'job-name': name,
        'batch.kubernetes.io/job-name': name,
      },
    },
    spec: job.spec.template.spec,
  };
}
