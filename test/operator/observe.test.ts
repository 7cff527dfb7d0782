import { effectivePolicy } from '../../src/config/policy.js';
import {
  fleetSnapshot,
  isDryRunJob,
  nodeFacts,
  targetPodOn,
  toObservedJob,
  toObservedTargetPod,
} from '../../src/operator/observe.js';
import { fleetCounts } from '../../src/remediation/fleet.js';
import { buildAgentJob } from '../../src/remediation/job.js';
import { policyStatusFromCaches } from '../../src/operator/policy-status.js';
import {
  podTrimmer,
  trimJob,
  trimNode,
  type CachedRemediation,
  type TrimmedDaemonSet,
} from '../../src/operator/trim.js';

const policy = effectivePolicy({ maxUnhealthy: 1 });
const ds: TrimmedDaemonSet = {
  metadata: { name: 'azure-npm', namespace: 'kube-system', uid: 'ds-uid' },
  spec: { selector: { matchLabels: { 'k8s-app': 'azure-npm' } } },
};

const rawNode = (name: string, os = 'linux', extra: Record<string, unknown> = {}) => ({
  metadata: {
    name,
    resourceVersion: '1',
    labels: { 'kubernetes.io/os': os, 'node.kubernetes.io/instance-type': 'Standard_D4s_v3' },
    annotations: { 'chainmedic.io/opt-out': 'true', 'some.vendor/huge': 'x'.repeat(5000) },
    managedFields: [{ manager: 'kubelet' }],
  },
  spec: { podCIDR: '10.0.0.0/24' },
  status: {
    conditions: [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status: 'True', message: 'kubelet is posting ready status' },
    ],
    images: [{ names: ['a'], sizeBytes: 1 }],
  },
  ...extra,
});

const rawPod = (name: string, node: string, waiting?: string, restarts = 0, owner = 'ds-uid') => ({
  metadata: {
    name,
    namespace: 'kube-system',
    uid: `${name}-uid`,
    labels: { 'k8s-app': 'azure-npm', 'pod-template-generation': '1' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'azure-npm', uid: owner, controller: true },
    ],
  },
  spec: { nodeName: node, containers: [{ name: 'azure-npm', image: 'x' }] },
  status: {
    conditions: [{ type: 'Ready', status: waiting ? 'False' : 'True' }],
    containerStatuses: [
      {
        name: 'azure-npm',
        restartCount: restarts,
        ready: !waiting,
        image: 'x',
        state: waiting
          ? { waiting: { reason: waiting, message: 'back-off' } }
          : { running: { startedAt: 'now' } },
      },
    ],
  },
});

const trimPod = podTrimmer(['k8s-app']);

describe('trim', () => {
  it('keeps only what the operator reads from a Node', () => {
    const n = trimNode(rawNode('n1'));
    expect(n).toEqual({
      metadata: {
        name: 'n1',
        resourceVersion: '1',
        labels: { 'kubernetes.io/os': 'linux' },
        annotations: { 'chainmedic.io/opt-out': 'true' },
      },
      spec: {},
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });
  it('keeps the selector labels and container states of a pod', () => {
    const p = trimPod(rawPod('p', 'n1', 'CrashLoopBackOff', 4));
    expect(p.metadata.labels).toEqual({ 'k8s-app': 'azure-npm' });
    expect(p.status.containerStatuses[0]).toEqual({
      name: 'azure-npm',
      restartCount: 4,
      ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
    });
  });
});

describe('trim and observe: what the audit and the storm explanation read', () => {
  it('keeps the chains condition, the bootID, the operation markers and the storm attributes of a Node', () => {
    const n = trimNode(
      rawNode('n1', 'linux', {
        metadata: {
          name: 'n1',
          deletionTimestamp: '2026-11-30T08:00:00Z',
          labels: {
            'kubernetes.io/os': 'linux',
            'kubernetes.azure.com/agentpool': 'pool2',
            'kubernetes.azure.com/node-image-version': 'img-1',
            'topology.kubernetes.io/zone': 'westeurope-2',
            'kubernetes.azure.com/upgrade-status': 'Quarantined',
          },
          annotations: {},
        },
        spec: {
          taints: [
            { key: 'ToBeDeletedByClusterAutoscaler', value: '1', effect: 'NoSchedule' },
            { key: 'x', effect: 'NoSchedule' },
          ],
        },
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'MemoryPressure', status: 'False' },
            {
              type: 'KubeletIPTablesInitFailed',
              status: 'True',
              reason: 'ChainsMissing',
              message: 'm',
              lastHeartbeatTime: 'h',
              lastTransitionTime: 't',
            },
          ],
          nodeInfo: { bootID: 'b1', osImage: 'os', kernelVersion: 'k', kubeletVersion: 'v' },
        },
      }),
    );
    expect(n.metadata.deletionTimestamp).toBe('2026-11-30T08:00:00Z');
    expect(n.spec.taints).toEqual([
      { key: 'ToBeDeletedByClusterAutoscaler', value: '1', effect: 'NoSchedule' },
    ]);
    expect(n.status.conditions.map((c) => c.type)).toEqual(['Ready', 'KubeletIPTablesInitFailed']);
    expect(n.status.nodeInfo).toEqual({ bootID: 'b1', osImage: 'os', kernelVersion: 'k' });
    expect(nodeFacts(n, 'npm:v1')).toEqual({
      name: 'n1',
      agentPool: 'pool2',
      nodeImageVersion: 'img-1',
      zone: 'westeurope-2',
      osImage: 'os',
      kernelVersion: 'k',
      npmImage: 'npm:v1',
      finding: 'missing',
    });
  });

  it('a target pod crash-looping is told to decide (a latent node whose azure-npm restarted meanwhile)', () => {
    expect(toObservedTargetPod(trimPod(rawPod('p', 'n1', 'CrashLoopBackOff', 4)), policy)?.crashLooping).toBe(
      true,
    );
    expect(toObservedTargetPod(trimPod(rawPod('p', 'n1')), policy)?.crashLooping).toBeUndefined();
  });
});

describe('observe', () => {
  const nodes = ['a', 'b', 'c'].map((n) => trimNode(rawNode(n))).concat(trimNode(rawNode('w', 'windows')));
  const pods = [
    trimPod(rawPod('pa', 'a', 'CrashLoopBackOff', 5)),
    trimPod(rawPod('pb', 'b')),
    trimPod(rawPod('pw', 'w', 'CrashLoopBackOff', 5, 'win-ds-uid')),
  ];
  const nr = (name: string, node: string, phase: string): CachedRemediation =>
    ({
      apiVersion: 'chainmedic.io/v1alpha1',
      kind: 'NodeRemediation',
      metadata: { name },
      spec: { nodeName: node, trigger: { source: 'Manual' } },
      status: { phase },
    }) as unknown as CachedRemediation;

  it('counts affected linux nodes and slot holders on other nodes', () => {
    const rems = [nr('r1', 'c', 'Remediating'), nr('r2', 'b', 'Succeeded')];
    const snapshot = fleetSnapshot(nodes, pods, ds, rems, policy);
    expect(fleetCounts(snapshot, 'a')).toEqual({ activeRemediations: 1, affectedNodes: 2, linuxNodes: 3 });
    expect(fleetCounts(snapshot, 'c')).toEqual({ activeRemediations: 0, affectedNodes: 2, linuxNodes: 3 });
  });

  it('counts slot-holding remediations on other nodes only', () => {
    const rems = [
      nr('r1', 'a', 'Remediating'),
      nr('r2', 'b', 'Waiting'),
      nr('r3', 'c', 'Succeeded'),
      nr('r4', 'd', 'Uncordoning'),
    ];
    const snapshot = fleetSnapshot(nodes, pods, ds, rems, policy);
    expect(fleetCounts(snapshot, 'a').activeRemediations).toBe(1);
    expect(fleetCounts(snapshot, 'x').activeRemediations).toBe(2);
  });

  it('the gate and the status count the same affected nodes (a Windows or gone node is not one)', () => {
    // Active remediations on the Windows node and on a node that is gone: the gate never counted them as
    // affected; the status did (so `kubectl get remediationpolicy` showed a storm the gates did not see).
    const rems = [nr('r1', 'c', 'Remediating'), nr('r2', 'w', 'Pending'), nr('r3', 'gone', 'Cordoning')];
    const gate = fleetCounts(fleetSnapshot(nodes, pods, ds, rems, policy), 'a');
    const status = policyStatusFromCaches(
      policy,
      fleetSnapshot(nodes, pods, ds, rems, policy),
      0,
      rems,
      0,
      1,
    );
    expect(gate.affectedNodes).toBe(2);
    expect(status.affectedNodes).toBe(gate.affectedNodes);
    expect(status.stormGuard).toEqual({ active: true, affected: gate.affectedNodes, limit: 1 });
    expect(status.activeRemediations).toBe(2);
  });

  it('finds the target pod of a linux node only (the windows DaemonSet has another uid)', () => {
    expect(targetPodOn(nodes[0], pods, ds)?.metadata.name).toBe('pa');
    expect(targetPodOn(nodes[3], pods, ds)).toBeUndefined();
    expect(targetPodOn(nodes[0], pods, undefined)).toBeUndefined();
  });

  it('reads a finished Job report from its agent pod', () => {
    const job = trimJob({
      metadata: { name: 'j', namespace: 'chainmedic-agent' },
      spec: {
        template: {
          spec: { nodeName: 'a', containers: [{ name: 'agent', args: ['agent', 'probe', '--json'] }] },
        },
      },
      status: { conditions: [{ type: 'Complete', status: 'True' }] },
    });
    const pod = podTrimmer(['job-name'])({
      metadata: { name: 'j-x', namespace: 'chainmedic-agent', labels: { 'job-name': 'j' } },
      spec: { nodeName: 'a' },
      status: {
        containerStatuses: [{ name: 'agent', state: { terminated: { exitCode: 0, message: 'not json' } } }],
      },
    });
    const observed = toObservedJob(job, [pod]);
    expect(observed).toMatchObject({ name: 'j', state: 'succeeded', report: null, exitCode: 0 });
    const running = trimJob({ metadata: { name: 'k' }, spec: {}, status: {} });
    expect(toObservedJob(running, [])).toEqual({ name: 'k', state: 'running' });
    const noPod = toObservedJob(job, []);
    expect(noPod).toMatchObject({
      state: 'succeeded',
      report: null,
      reportError: 'no finished agent pod found',
    });
  });

  it('publishes the fleet view with the storm guard', () => {
    const rems = [nr('r1', 'c', 'Cordoning')];
    const status = policyStatusFromCaches(
      policy,
      fleetSnapshot(nodes, pods, ds, rems, policy),
      3,
      rems,
      2,
      3,
    );
    expect(status).toMatchObject({
      linuxNodes: 3,
      optedOutNodes: 3,
      affectedNodes: 2,
      activeRemediations: 1,
      stormGuard: { active: true, affected: 2, limit: 1 },
      unconfirmedCrashLoops: 2,
      observedGeneration: 3,
    });
    const conditions = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c]));
    expect(conditions.StormActive).toMatchObject({ status: 'True', reason: 'TooManyAffected' });
    expect(conditions.Paused).toMatchObject({ status: 'False' });
    expect(conditions.Ready).toMatchObject({ status: 'True' });
  });

  it('says Ready False with every problem when the policy is invalid', () => {
    const status = policyStatusFromCaches(policy, fleetSnapshot([], [], undefined, [], policy), 0, [], 0, 1, {
      validity: { ok: false, errors: ['spec.maxUnhealthy: bad', 'spec.cooldown: bad'] },
      now: Date.parse('2026-11-24T00:00:00Z'),
    });
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidPolicy' });
    expect(ready?.message).toMatch(/spec\.maxUnhealthy: bad; spec\.cooldown: bad/);
  });
});

describe('toObservedJob: the agent Job as the operator builds it', () => {
  const input = {
    remediation: { name: 'nr', uid: 'u' },
    nodeName: 'node-a',
    attempt: 1,
    namespace: 'ns',
    image: 'img',
    timeoutSeconds: 300,
    agentWaitSeconds: 90,
    ttlAfterFinishedSeconds: 3600,
  };
  const remediateJob = buildAgentJob({ ...input, dryRun: false });
  const probeJob = buildAgentJob({ ...input, dryRun: true });
  const probe = (verdict: string) => ({ schemaVersion: 1, verdict, backend: null, checks: [], ipv6: null });
  const result = {
    schemaVersion: 1,
    outcome: 'ChainsStillMissing',
    message: 'm',
    unit: 'kubelet.service',
    before: probe('missing'),
    after: probe('missing'),
    kubeletRestarted: true,
    evidence: null,
    cause: null,
    durationMs: 5,
    truncated: false,
  };
  const terminatedPod = (message: string | undefined, exitCode: number) =>
    podTrimmer(['job-name'])({
      metadata: { name: 'nr-1-x', namespace: 'ns', labels: { 'job-name': 'nr-1' } },
      spec: { nodeName: 'node-a' },
      status: {
        containerStatuses: [
          { name: 'agent', state: { terminated: { exitCode, ...(message ? { message } : {}) } } },
        ],
      },
    });
  const withStatus = (job: object, status: object) => trimJob({ ...job, status });

  it('a Job without a finished pod is running', () => {
    expect(toObservedJob(withStatus(remediateJob, { active: 1 }), [])).toEqual({
      name: 'nr-1',
      state: 'running',
    });
  });

  it('a Job the controller has only marked SuccessCriteriaMet or FailureTarget is still running', () => {
    // Kubernetes 1.34 counts the pod in status.succeeded/failed and sets the interim condition first; Complete or
    // Failed follows once the Job's pods have all terminated: until then an agent may still be at work.
    const interim = (type: string, counts: object) =>
      withStatus(remediateJob, { ...counts, conditions: [{ type, status: 'True' }] });
    const pod = terminatedPod(JSON.stringify(result), 3);
    expect(toObservedJob(interim('SuccessCriteriaMet', { succeeded: 1 }), [pod]).state).toBe('running');
    expect(toObservedJob(interim('FailureTarget', { failed: 1, active: 1 }), [pod]).state).toBe('running');
    const finished = withStatus(remediateJob, {
      failed: 1,
      conditions: [
        { type: 'FailureTarget', status: 'True' },
        { type: 'Failed', status: 'True' },
      ],
    });
    expect(toObservedJob(finished, [pod]).state).toBe('failed');
  });

  it('a failed Job with the agent result in the termination message', () => {
    const observed = toObservedJob(
      withStatus(remediateJob, { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] }),
      [terminatedPod(JSON.stringify(result), 3)],
    );
    expect(observed).toEqual({
      name: 'nr-1',
      state: 'failed',
      report: {
        kind: 'remediate',
        outcome: 'ChainsStillMissing',
        before: { verdict: 'missing' },
        after: { verdict: 'missing' },
        kubeletRestarted: true,
      },
      exitCode: 3,
    });
  });

  it('a Job that failed before its pod ran (deadline) has no report and says why', () => {
    const observed = toObservedJob(
      withStatus(remediateJob, { conditions: [{ type: 'Failed', status: 'True' }] }),
      [],
    );
    expect(observed).toMatchObject({
      state: 'failed',
      report: null,
      reportError: expect.stringMatching(/no finished agent pod/),
    });
  });

  it('a dry-run Job is parsed as a probe', () => {
    expect(isDryRunJob(trimJob(probeJob))).toBe(true);
    expect(isDryRunJob(trimJob(remediateJob))).toBe(false);
    const observed = toObservedJob(
      withStatus(probeJob, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }),
      [terminatedPod(JSON.stringify(probe('present')), 0)],
    );
    expect(observed).toMatchObject({
      state: 'succeeded',
      report: { kind: 'probe', probe: { verdict: 'present' } },
      exitCode: 0,
    });
  });
});
