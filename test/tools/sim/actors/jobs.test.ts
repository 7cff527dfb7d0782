import { PatchStrategy, setHeaderOptions, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { agentResultSchema } from '../../../../src/agent/result.js';
import { startSimCluster, type SimCluster } from '../../../../tools/sim/cluster.js';
import { eventually } from '../../../kit/eventually.js';
import { clientsFor, type Clients } from './helpers.js';

const NS = 'default';

/** The shape of the operator's remediation Job, pinned by nodeName or by required affinity. */
function agentJob(
  name: string,
  node: string,
  pin: 'nodeName' | 'affinity',
  extra: Partial<V1Job['spec']> = {},
): V1Job {
  const placement =
    pin === 'nodeName'
      ? { nodeName: node, tolerations: [{ operator: 'Exists' }] }
      : {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
                ],
              },
            },
          },
        };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: {
      backoffLimit: 0,
      ...extra,
      template: {
        metadata: { labels: { app: 'chainmedic-agent' } },
        spec: {
          ...placement,
          restartPolicy: 'Never',
          containers: [
            {
              name: 'agent',
              image: 'chainmedic:dev',
              command: ['chainmedic'],
              args: [
                'agent',
                'remediate',
                '--host',
                'nsenter',
                '--kubelet-unit',
                'kubelet.service',
                '--wait-seconds',
                '30',
              ],
            },
          ],
        },
      },
    },
  };
}

describe('the Job controller running the real agent', () => {
  let cluster: SimCluster;
  let api: Clients;
  let race: string;
  let imageBug: string;
  let spare: string[];

  beforeAll(async () => {
    const probe = await startSimCluster({ linuxNodes: 6, seed: 5 });
    const names = probe.linuxNodeNames();
    await probe.stop();
    [race, imageBug, ...spare] = names as [string, string, ...string[]];
    cluster = await startSimCluster({
      linuxNodes: 6,
      seed: 5,
      timeScale: 0.005,
      broken: [
        { node: race, cause: 'kubelet-init-race' },
        { node: imageBug, cause: 'npm-image-bug' },
      ],
    });
    api = clientsFor(cluster);
  });
  afterAll(() => cluster.stop());

  const finished = (name: string) =>
    eventually(async () => {
      const job = await api.batch.readNamespacedJob({ name, namespace: NS });
      return job.status?.conditions?.some(
        (c) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
      )
        ? job
        : undefined;
    }, `Job ${name} to finish`);
  const podsOf = async (job: string): Promise<V1Pod[]> =>
    (await api.core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${job}` })).items;
  const terminated = (pod: V1Pod) => pod.status!.containerStatuses![0]!.state!.terminated!;
  const npmPod = async (node: string) =>
    (
      await api.core.listNamespacedPod({
        namespace: 'kube-system',
        labelSelector: 'k8s-app=azure-npm',
        fieldSelector: `spec.nodeName=${node}`,
      })
    ).items[0]!;

  it('runs the agent on the pinned node, reports its JSON in the termination message, and heals azure-npm', async () => {
    await api.batch.createNamespacedJob({ namespace: NS, body: agentJob('fix-race', race, 'nodeName') });
    const job = await finished('fix-race');
    expect(job.status).toMatchObject({ succeeded: 1 });
    expect(job.status!.conditions!.find((c) => c.type === 'Complete')!.status).toBe('True');
    expect(job.status!.completionTime).toBeDefined();
    const [pod] = await podsOf('fix-race');
    expect(pod!.spec!.nodeName).toBe(race);
    expect(pod!.status!.phase).toBe('Succeeded');
    expect(pod!.metadata!.ownerReferences![0]).toMatchObject({
      kind: 'Job',
      name: 'fix-race',
      uid: job.metadata!.uid,
    });
    const result = agentResultSchema.parse(JSON.parse(terminated(pod!).message!));
    expect(result.outcome).toBe('Restarted');
    expect(result.cause).toBe('KubeletInitRace');
    expect(terminated(pod!).exitCode).toBe(0);
    expect(cluster.kubeletRestarts(race)).toBe(1);
    const log = await api.core.readNamespacedPodLog({ name: pod!.metadata!.name!, namespace: NS });
    expect(log).toContain('"outcome":"Restarted"');
    await eventually(
      async () => ((await npmPod(race)).status!.containerStatuses![0]!.ready ? true : undefined),
      'azure-npm Ready',
    );
  });

  it('on an npm-image-bug node: ChainsPresent, no kubelet restart, azure-npm keeps crashing', async () => {
    await api.batch.createNamespacedJob({ namespace: NS, body: agentJob('probe-bug', imageBug, 'affinity') });
    await finished('probe-bug');
    const [pod] = await podsOf('probe-bug');
    expect(pod!.spec!.nodeName).toBe(imageBug);
    const result = agentResultSchema.parse(JSON.parse(terminated(pod!).message!));
    expect(result.outcome).toBe('ChainsPresent');
    expect(result.kubeletRestarted).toBe(false);
    expect(cluster.kubeletRestarts(imageBug)).toBe(0);
    // Even a kubelet restart done by hand does not help there.
    await cluster.runOnHost(imageBug, ['systemctl', 'restart', 'kubelet.service']);
    const before = (await npmPod(imageBug)).status!.containerStatuses![0]!.restartCount;
    const after = await eventually(async () => {
      const s = (await npmPod(imageBug)).status!.containerStatuses![0]!;
      return s.restartCount >= before + 2 ? s : undefined;
    }, 'azure-npm to crash again');
    expect(after.ready).toBe(false);
    expect(after.state!.waiting!.reason).toBe('CrashLoopBackOff');
  });

  it('keeps a Job pod on a NotReady node Pending until the node is Ready again', async () => {
    const node = spare[0]!;
    cluster.setNodeReady(node, false);
    await eventually(async () => {
      const nodeObject = await api.core.readNode({ name: node });
      return nodeObject.status!.conditions!.find((c) => c.type === 'Ready')!.status === 'Unknown';
    }, 'the node Unknown once its Lease is older than the grace period');
    await api.batch.createNamespacedJob({ namespace: NS, body: agentJob('not-ready', node, 'nodeName') });
    // A Job created later on a Ready node finishes while this one waits.
    await api.batch.createNamespacedJob({ namespace: NS, body: agentJob('witness', spare[1]!, 'nodeName') });
    await finished('witness');
    const [pending] = await podsOf('not-ready');
    expect(pending!.status!.phase).toBe('Pending');
    expect((await api.batch.readNamespacedJob({ name: 'not-ready', namespace: NS })).status!.active).toBe(1);
    cluster.setNodeReady(node, true);
    const job = await finished('not-ready');
    expect(job.status!.succeeded).toBe(1);
  });

  it('runs a nodeName Job on a cordoned node, but the scheduler keeps an affinity Job off it', async () => {
    const node = spare[2]!;
    // A merge patch of spec.unschedulable, as kubectl cordon sends it.
    await api.core.patchNode(
      { name: node, body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await api.core.readNode({ name: node })).spec!.unschedulable).toBe(true);
    await api.batch.createNamespacedJob({ namespace: NS, body: agentJob('cordoned', node, 'nodeName') });
    expect((await finished('cordoned')).status!.succeeded).toBe(1);

    await api.batch.createNamespacedJob({
      namespace: NS,
      body: agentJob('cordoned-affinity', node, 'affinity'),
    });
    const pod = await eventually(async () => {
      const [p] = await podsOf('cordoned-affinity');
      return p?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')
        ? p
        : undefined;
    }, 'an Unschedulable pod');
    expect(pod.spec!.nodeName).toBeUndefined();
    expect(pod.status!.conditions![0]).toMatchObject({ reason: 'Unschedulable' });
    expect(pod.status!.conditions![0]!.message).toContain('node(s) were unschedulable');
  });

  it('fails a Job without retry at backoffLimit 0 when its pod fails', async () => {
    const node = spare[3]!;
    cluster.failNextJob(node);
    await api.batch.createNamespacedJob({ namespace: NS, body: agentJob('doomed', node, 'nodeName') });
    const job = await finished('doomed');
    expect(job.status!.failed).toBe(1);
    expect(job.status!.conditions!.find((c) => c.type === 'Failed')).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
    });
    expect(await podsOf('doomed')).toHaveLength(1);
  });

  it('fails a Job past its activeDeadlineSeconds and deletes finished Jobs after their TTL', async () => {
    const node = spare[0]!;
    cluster.setNodeReady(node, false);
    await api.batch.createNamespacedJob({
      namespace: NS,
      body: agentJob('too-slow', node, 'nodeName', { activeDeadlineSeconds: 60 }),
    });
    const job = await finished('too-slow');
    expect(job.status!.conditions!.find((c) => c.type === 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
    });
    cluster.setNodeReady(node, true);

    await api.batch.createNamespacedJob({
      namespace: NS,
      body: agentJob('short-lived', spare[1]!, 'nodeName', { ttlSecondsAfterFinished: 30 }),
    });
    await eventually(async () => {
      const jobs = await api.batch.listNamespacedJob({
        namespace: NS,
        fieldSelector: 'metadata.name=short-lived',
      });
      return jobs.items.length === 0 ? true : undefined;
    }, 'the Job to be deleted after its TTL');
    expect(await podsOf('short-lived')).toHaveLength(0);
  });
});
