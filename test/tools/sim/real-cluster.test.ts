/**
 * The simulated nodes against the real control plane: the node actors (tools/sim/nodes/) play kubelets and
 * hosts over the REST API; the real DaemonSet, Job, TTL, garbage-collector and node lifecycle controllers and
 * the real scheduler do the rest. One cluster for these cases: 3 Linux nodes (one broken by the kubelet init race,
 * one by the azure-npm image bug) and 1 Windows node. The cases of ./planes/ (one cluster per plane) follow.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { AGENT_SERVICE_ACCOUNT } from '../../../src/api/index.js';
import { DEFAULT_AGENT_NAMESPACE } from '../../../src/config.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { KubeRest } from '../../../src/kube/rest.js';
import { buildAgentJob } from '../../../src/remediation/job.js';
import { nodeIdentities } from '../../../tools/sim/actors/node-factory.js';
import { NPM_DETECTION_FAILURE } from '../../../tools/sim/actors/npm-detection.js';
import { NPM_NAMESPACE } from '../../../tools/sim/actors/npm-objects.js';
import { createRandom } from '../../../tools/sim/actors/random.js';
import { startRealSimCluster, type RealSimCluster } from '../../../tools/sim/real-cluster.js';
import { eventually } from '../../kit/eventually.js';
import { kubectl } from '../../kit/kubectl.js';
import { describeSimPlanes } from './planes/sim-planes.js';

interface Obj {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
interface ContainerStatus {
  restartCount: number;
  ready: boolean;
  state: {
    waiting?: { reason: string };
    running?: object;
    terminated?: { exitCode: number; message?: string };
  };
}
interface Condition {
  type: string;
  status: string;
  reason?: string;
}

const SEED = 7;
const ids = nodeIdentities(3, 1, createRandom(SEED));
const [race, imageBug, healthy] = ids.filter((i) => i.os === 'linux').map((i) => i.name) as [
  string,
  string,
  string,
];
const windows = ids.find((i) => i.os === 'windows')?.name as string;

const containerOf = (pod: Obj) => (pod.status?.containerStatuses as ContainerStatus[] | undefined)?.[0];
const conditionOf = (obj: Obj, type: string) =>
  (obj.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);

describe('the simulated nodes on the real control plane', () => {
  let cluster: RealSimCluster;
  let rest: KubeRest;
  const started = Date.now();

  beforeAll(async () => {
    cluster = await startRealSimCluster({
      linuxNodes: 3,
      windowsNodes: 1,
      seed: SEED,
      timeScale: 0.05,
      broken: [
        { node: race, cause: 'kubelet-init-race' },
        { node: imageBug, cause: 'npm-image-bug' },
      ],
    });
    process.stdout.write(
      `real sim cluster ready in ${Date.now() - started} ms (control plane ${cluster.cp.startMs} ms)\n`,
    );
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    rest = new KubeRest(kc);
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    process.stdout.write(`real sim cluster file took ${Date.now() - started} ms\n`);
  });

  const npmPods = async () =>
    (
      await rest.get<{ items: Obj[] }>(`/api/v1/namespaces/${NPM_NAMESPACE}/pods`, {
        labelSelector: 'k8s-app=azure-npm',
      })
    ).items;
  const npmPodOn = async (node: string) =>
    (await npmPods()).find((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp);

  it('registers every node, loopback only, with a fresh Lease', async () => {
    // As the memory sim has it: the agent's ServiceAccount exists (its pods would be refused without it).
    await rest.get(`/api/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/serviceaccounts/${AGENT_SERVICE_ACCOUNT}`);
    const nodes = (await rest.get<{ items: Obj[] }>('/api/v1/nodes')).items;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(cluster.nodeNames().sort());
    for (const node of nodes) {
      expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.1' }]);
      expect(conditionOf(node, 'Ready')?.status).toBe('True');
      const lease = await rest.get<{ spec: { renewTime: string; holderIdentity: string } }>(
        `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node.metadata.name}`,
      );
      expect(lease.spec.holderIdentity).toBe(node.metadata.name);
      // Renewed every second: fresh well within the node monitor grace period.
      expect(Date.now() - Date.parse(lease.spec.renewTime)).toBeLessThan(5_000);
    }
    expect(cluster.brokenNodes()).toEqual(
      expect.arrayContaining([
        { node: race, cause: 'kubelet-init-race' },
        { node: imageBug, cause: 'npm-image-bug' },
      ]),
    );
  });

  it('runs the pods the real DaemonSet controller created and the real scheduler bound', async () => {
    const pods = await npmPods();
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(cluster.nodeNames().sort());
    const scheduled = (
      await rest.get<{
        items: Array<{ reason: string; reportingController: string; regarding: { name: string } }>;
      }>(`/apis/events.k8s.io/v1/namespaces/${NPM_NAMESPACE}/events`)
    ).items.filter((e) => e.reason === 'Scheduled');
    for (const pod of pods) {
      const owner = pod.metadata.ownerReferences?.[0];
      expect(owner).toMatchObject({ kind: 'DaemonSet', controller: true });
      expect(owner?.name).toBe(pod.spec?.nodeName === windows ? 'azure-npm-win' : 'azure-npm');
      expect(scheduled.find((e) => e.regarding.name === pod.metadata.name)?.reportingController).toBe(
        'default-scheduler',
      );
      expect(pod.status?.podIP).toBe('127.0.0.1');
    }
    for (const node of [healthy, windows]) {
      await eventually(
        async () => containerOf((await npmPodOn(node)) as Obj)?.ready === true,
        `azure-npm ready on ${node}`,
      );
    }
  });

  it('crash-loops azure-npm on both broken nodes, with BackOff Events from their kubelets', async () => {
    for (const node of [race, imageBug]) {
      const pod = await eventually(async () => {
        const p = await npmPodOn(node);
        const c = p && containerOf(p);
        return c && c.restartCount >= 1 && c.state.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
      }, `azure-npm crash-looping on ${node}`);
      await eventually(async () => {
        const events = (
          await rest.get<{
            items: Array<{ reason: string; type: string; source: { component: string; host: string } }>;
          }>(`/api/v1/namespaces/${NPM_NAMESPACE}/events`, {
            fieldSelector: `involvedObject.uid=${pod.metadata.uid}`,
          })
        ).items;
        return events.some(
          (e) =>
            e.reason === 'BackOff' &&
            e.type === 'Warning' &&
            e.source.component === 'kubelet' &&
            e.source.host === node,
        );
      }, `a BackOff Event for ${pod.metadata.name}`);
    }
  });

  it('serves `kubectl logs --previous` through the API server from the kubelet API', async () => {
    for (const node of [race, imageBug]) {
      const pod = (await npmPodOn(node)) as Obj;
      const logs = await kubectl(cluster.kubeconfigPath, [
        '-n',
        NPM_NAMESPACE,
        'logs',
        '--previous',
        pod.metadata.name,
      ]);
      expect(logs.stderr).toBe('');
      expect(logs.stdout).toContain(NPM_DETECTION_FAILURE);
      const tail = await kubectl(cluster.kubeconfigPath, [
        '-n',
        NPM_NAMESPACE,
        'logs',
        '--previous',
        '--tail=1',
        pod.metadata.name,
      ]);
      expect(tail.stdout).toBe(`${NPM_DETECTION_FAILURE}\n`);
    }
  });

  it('runs the agent Job on the race node: the Job controller creates its pod, the agent restarts kubelet', async () => {
    const job = buildAgentJob({
      remediation: { name: 'race-node', uid: '00000000-0000-4000-8000-000000000001' },
      nodeName: race,
      attempt: 1,
      dryRun: false,
      namespace: DEFAULT_AGENT_NAMESPACE,
      image: 'ghcr.io/chainmedic/chainmedic:test',
      timeoutSeconds: 300,
      agentWaitSeconds: 30,
      ttlAfterFinishedSeconds: 600,
    });
    // No NodeRemediation exists here (no CRDs): an owner the garbage collector cannot resolve is left out.
    const { ownerReferences: _owner, ...metadata } = job.metadata;
    await rest.create(`/apis/batch/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/jobs`, { ...job, metadata });
    const done = await eventually(
      async () => {
        const j = await rest.get<Obj>(
          `/apis/batch/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/jobs/${job.metadata.name}`,
        );
        return conditionOf(j, 'Complete')?.status === 'True' || conditionOf(j, 'Failed')?.status === 'True'
          ? j
          : undefined;
      },
      'the agent Job finished',
      60_000,
    );
    expect(conditionOf(done, 'Complete')?.status).toBe('True');
    const pods = (
      await rest.get<{ items: Obj[] }>(`/api/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/pods`, {
        labelSelector: `job-name=${job.metadata.name}`,
      })
    ).items;
    expect(pods).toHaveLength(1);
    expect(pods[0]?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: job.metadata.name });
    const terminated = containerOf(pods[0] as Obj)?.state.terminated;
    expect(terminated?.exitCode).toBe(0);
    expect(JSON.parse(terminated?.message ?? '{}')).toMatchObject({
      outcome: 'Restarted',
      kubeletRestarted: true,
    });
    expect(cluster.kubeletRestarts(race)).toBe(1);
    expect(
      cluster
        .iptables(race)
        .hasChain({ backend: 'nft', family: 'ipv4', table: 'mangle', chain: 'KUBE-IPTABLES-HINT' }),
    ).toBe(true);
    // kubelet restarted: azure-npm starts again and sees the chains.
    await eventually(
      async () => containerOf((await npmPodOn(race)) as Obj)?.ready === true,
      'azure-npm ready on the race node',
    );
  });

  it('recreates a deleted azure-npm pod through the DaemonSet controller, and the new one runs', async () => {
    const old = (await npmPodOn(race)) as Obj;
    await rest.delete(`/api/v1/namespaces/${NPM_NAMESPACE}/pods/${old.metadata.name}`);
    await eventually(async () => {
      try {
        await rest.get(`/api/v1/namespaces/${NPM_NAMESPACE}/pods/${old.metadata.name}`);
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, 'the old pod gone (its deletion finished by the kubelet)');
    const fresh = await eventually(async () => {
      const p = await npmPodOn(race);
      return p && p.metadata.uid !== old.metadata.uid && containerOf(p)?.ready === true ? p : undefined;
    }, 'a new azure-npm pod running on the race node');
    expect(fresh.metadata.ownerReferences?.[0]?.kind).toBe('DaemonSet');
    expect(cluster.npmPodName(race)).toBe(fresh.metadata.name);
  });

  it('deletes a finished Job by its TTL, and the kubelet finishes its pod deletion', async () => {
    const job = buildAgentJob({
      remediation: { name: 'ttl', uid: '00000000-0000-4000-8000-000000000002' },
      nodeName: healthy,
      attempt: 1,
      dryRun: true,
      namespace: DEFAULT_AGENT_NAMESPACE,
      image: 'ghcr.io/chainmedic/chainmedic:test',
      timeoutSeconds: 300,
      agentWaitSeconds: 30,
      ttlAfterFinishedSeconds: 1,
    });
    const { ownerReferences: _owner, ...metadata } = job.metadata;
    await rest.create(`/apis/batch/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/jobs`, {
      ...job,
      metadata,
      spec: { ...job.spec, ttlSecondsAfterFinished: 0 },
    });
    const podName = await eventually(async () => {
      const pods = (
        await rest.get<{ items: Obj[] }>(`/api/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/pods`, {
          labelSelector: `job-name=${job.metadata.name}`,
        })
      ).items;
      return pods[0]?.metadata.name;
    }, 'the probe Job pod');
    const gone = async (path: string) => {
      try {
        await rest.get(path);
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    };
    await eventually(
      () => gone(`/apis/batch/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/jobs/${job.metadata.name}`),
      'the Job deleted by the TTL controller',
    );
    await eventually(
      () => gone(`/api/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/pods/${podName}`),
      'its pod deleted by the garbage collector and finalized by the kubelet',
    );
  });

  it('fails the next agent container on a node when told to, through the admin routes', async () => {
    const res = await fetch(`${cluster.adminUrl}/sim/nodes/${healthy}/fail-next-job`, { method: 'POST' });
    expect(res.status).toBe(200);
    const job = buildAgentJob({
      remediation: { name: 'fail', uid: '00000000-0000-4000-8000-000000000003' },
      nodeName: healthy,
      attempt: 1,
      dryRun: true,
      namespace: DEFAULT_AGENT_NAMESPACE,
      image: 'ghcr.io/chainmedic/chainmedic:test',
      timeoutSeconds: 300,
      agentWaitSeconds: 30,
      ttlAfterFinishedSeconds: 600,
    });
    const { ownerReferences: _owner, ...metadata } = job.metadata;
    await rest.create(`/apis/batch/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/jobs`, { ...job, metadata });
    await eventually(async () => {
      const j = await rest.get<Obj>(
        `/apis/batch/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/jobs/${job.metadata.name}`,
      );
      return conditionOf(j, 'Failed')?.status === 'True';
    }, 'the Job failed (backoffLimit 0)');
    const pod = (
      await rest.get<{ items: Obj[] }>(`/api/v1/namespaces/${DEFAULT_AGENT_NAMESPACE}/pods`, {
        labelSelector: `job-name=${job.metadata.name}`,
      })
    ).items[0] as Obj;
    expect(pod.status?.phase).toBe('Failed');
    expect(containerOf(pod)?.state.terminated?.exitCode).toBe(1);
    const logs = await kubectl(cluster.kubeconfigPath, [
      '-n',
      DEFAULT_AGENT_NAMESPACE,
      'logs',
      pod.metadata.name,
    ]);
    expect(logs.stdout).toContain('injected failure');
  });

  it('starts azure-npm again once its image is repaired, and shows it in the admin routes', async () => {
    const before = (await (await fetch(`${cluster.adminUrl}/sim/nodes/${imageBug}`)).json()) as Record<
      string,
      unknown
    >;
    expect(before).toMatchObject({ brokenCause: 'npm-image-bug', npmPod: cluster.npmPodName(imageBug) });
    const res = await fetch(`${cluster.adminUrl}/sim/nodes/${imageBug}/repair-npm-image`, { method: 'POST' });
    expect(res.status).toBe(200);
    await eventually(
      async () => containerOf((await npmPodOn(imageBug)) as Obj)?.ready === true,
      'azure-npm ready',
    );
    expect(cluster.brokenNodes()).toEqual([]);
    expect(cluster.kubeletRestarts(imageBug)).toBe(0);
  });

  it('lets the real node lifecycle controller mark a node whose kubelet stopped, and recover it', async () => {
    const node = async () => rest.get<Obj>(`/api/v1/nodes/${healthy}`);
    const npm = (await npmPodOn(healthy)) as Obj;
    const npmPath = `/api/v1/namespaces/${NPM_NAMESPACE}/pods/${npm.metadata.name}`;
    cluster.setNodeReady(healthy, false);
    // Deleted while its kubelet is stopped: nobody finishes the deletion.
    await rest.delete(npmPath);
    const marked = await eventually(async () => {
      const n = await node();
      return conditionOf(n, 'Ready')?.status === 'Unknown' ? n : undefined;
    }, 'Ready=Unknown on the silent node');
    expect(conditionOf(marked, 'Ready')?.reason).toBe('NodeStatusUnknown');
    await eventually(async () => {
      const taints = ((await node()).spec?.taints ?? []) as Array<{ key: string; effect: string }>;
      return taints.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
    }, 'the unreachable taint');
    expect((await rest.get<Obj>(npmPath)).metadata.deletionTimestamp).toBeDefined();
    cluster.setNodeReady(healthy, true);
    await eventually(async () => {
      const n = await node();
      const taints = (n.spec?.taints ?? []) as Array<{ key: string }>;
      return (
        conditionOf(n, 'Ready')?.status === 'True' &&
        !taints.some((t) => t.key.startsWith('node.kubernetes.io/'))
      );
    }, 'the node Ready again and untainted');
    await eventually(async () => {
      try {
        await rest.get(npmPath);
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, 'the deletion finished by the kubelet running again');
    await eventually(
      async () => containerOf((await npmPodOn(healthy)) as Obj)?.ready === true,
      'a new azure-npm pod running',
    );
  });

  it("re-posts its pods' status when its kubelet runs again (the controller had marked them not Ready)", async () => {
    const podOn = async () => (await npmPods()).find((p) => p.spec?.nodeName === windows) as Obj;
    const ready = async () => conditionOf(await podOn(), 'Ready')?.status;
    expect(await ready()).toBe('True');
    cluster.setNodeReady(windows, false);
    await eventually(async () => (await ready()) === 'False', 'the pod marked not Ready by the controller');
    cluster.setNodeReady(windows, true);
    await eventually(async () => (await ready()) === 'True', 'the pod Ready again, from its kubelet');
  });
});

// The latent break, reboots, a foreign Node condition and the image-bug image on both planes (./planes/).
describeSimPlanes();
