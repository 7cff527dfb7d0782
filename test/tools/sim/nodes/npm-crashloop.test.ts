/** The simulated kubelets (tools/sim/nodes/) running azure-npm on the in-memory plane: detection, crash loop, Events, logs. */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { backoffAfterCrash, formatBackoff } from '../../../../tools/sim/actors/backoff.js';
import { NPM_DETECTION_FAILURE } from '../../../../tools/sim/actors/npm-detection.js';
import { startSimCluster, type SimCluster } from '../../../../tools/sim/cluster.js';
import { eventually } from '../../../kit/eventually.js';
import { clientsFor, type Clients } from '../actors/helpers.js';

// 10 s of simulated back-off is 50 ms here; 5 minutes is 1.5 s.
const TIME_SCALE = 0.005;

describe('azure-npm on a node whose kubelet lost the iptables race', () => {
  let cluster: SimCluster;
  let api: Clients;
  let broken: string;
  let healthy: string;

  beforeAll(async () => {
    cluster = await startSimCluster({
      linuxNodes: 3,
      windowsNodes: 1,
      broken: 1,
      seed: 11,
      timeScale: TIME_SCALE,
    });
    api = clientsFor(cluster);
    broken = cluster.brokenNodes()[0]!.node;
    healthy = cluster.linuxNodeNames().find((n) => n !== broken)!;
  });
  afterAll(() => cluster.stop());

  const npmPodOn = async (node: string): Promise<V1Pod | undefined> => {
    const list = await api.core.listNamespacedPod({
      namespace: 'kube-system',
      labelSelector: 'k8s-app=azure-npm',
      fieldSelector: `spec.nodeName=${node}`,
    });
    expect(list.items.length).toBeLessThanOrEqual(1);
    return list.items[0];
  };
  const status = (pod: V1Pod) => pod.status!.containerStatuses![0]!;

  it('crash-loops with the detection failure in its previous log, BackOff events and a growing back-off', async () => {
    const seen = new Map<number, string>();
    const pod = await eventually(async () => {
      const p = await npmPodOn(broken);
      const s = p && status(p);
      if (s?.state?.waiting) seen.set(s.restartCount, s.state.waiting.message!);
      return s && s.restartCount >= 4 && seen.size >= 2 && s.state?.waiting ? p : undefined;
    }, 'four crashes');
    const s = status(pod);
    expect(pod.metadata!.ownerReferences![0]).toMatchObject({ kind: 'DaemonSet', name: 'azure-npm' });
    expect(pod.metadata!.name).toMatch(/^azure-npm-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(s.ready).toBe(false);
    expect(s.state!.waiting!.reason).toBe('CrashLoopBackOff');
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    // Every back-off seen matches kubelet's schedule for that crash, and later ones are longer.
    expect(seen.size).toBeGreaterThanOrEqual(2);
    for (const [restarts, message] of seen) {
      expect(message).toBe(
        `back-off ${formatBackoff(backoffAfterCrash(restarts))} restarting failed container=azure-npm pod=${pod.metadata!.name}_kube-system(${pod.metadata!.uid})`,
      );
    }

    const log = await api.core.readNamespacedPodLog({
      name: pod.metadata!.name!,
      namespace: 'kube-system',
      previous: true,
    });
    expect(log).toContain(
      'first attempt detecting iptables version. looking for hint/canary chain in iptables-nft',
    );
    for (const binary of ['iptables-nft', 'iptables-legacy']) {
      for (const chain of ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY']) {
        expect(log).toContain(
          `error: There was an error running command: [${binary} -w 60 -L ${chain} -t mangle -n] Stderr: [exit status 1, `,
        );
      }
    }
    expect(log.trimEnd().split('\n').pop()).toBe(NPM_DETECTION_FAILURE);

    const backOff = await eventually(async () => {
      const events = await api.core.listNamespacedEvent({
        namespace: 'kube-system',
        fieldSelector: `involvedObject.name=${pod.metadata!.name},reason=BackOff`,
      });
      const e: CoreV1Event | undefined = events.items[0];
      return e && (e.count ?? 0) >= 2 ? events.items : undefined;
    }, 'a repeated BackOff event');
    expect(backOff).toHaveLength(1);
    expect(backOff[0]).toMatchObject({
      type: 'Warning',
      message: `Back-off restarting failed container azure-npm in pod ${pod.metadata!.name}_kube-system(${pod.metadata!.uid})`,
      involvedObject: {
        kind: 'Pod',
        name: pod.metadata!.name,
        uid: pod.metadata!.uid,
        namespace: 'kube-system',
      },
      source: { component: 'kubelet', host: broken },
    });
  });

  it('leaves azure-npm running on healthy Linux and Windows nodes', async () => {
    const linux = status((await npmPodOn(healthy))!);
    expect(linux.ready).toBe(true);
    expect(linux.state!.running).toBeDefined();
    const win = (await npmPodOn(cluster.windowsNodeNames()[0]!))!;
    expect(win.metadata!.ownerReferences![0]!.name).toBe('azure-npm-win');
    expect(win.metadata!.labels!['k8s-app']).toBe('azure-npm');
    expect(status(win).ready).toBe(true);
  });

  it('recreates a deleted crashing pod under a new name and starts it without back-off', async () => {
    const old = (await npmPodOn(broken))!;
    expect(status(old).restartCount).toBeGreaterThan(1);
    await api.core.deleteNamespacedPod({ name: old.metadata!.name!, namespace: 'kube-system' });
    const fresh = await eventually(async () => {
      const p = await npmPodOn(broken);
      return p && p.metadata!.uid !== old.metadata!.uid && status(p)?.state?.waiting ? p : undefined;
    }, 'a replacement pod that crashed once');
    expect(fresh.metadata!.name).not.toBe(old.metadata!.name);
    expect(fresh.metadata!.name).toMatch(/^azure-npm-/);
    expect(status(fresh).state!.waiting!.message).toContain(
      `back-off ${formatBackoff(backoffAfterCrash(status(fresh).restartCount))} `,
    );
  });

  it('heals after a kubelet restart on the node: Running and Ready after its next start', async () => {
    const restart = await cluster.runOnHost(broken, ['systemctl', 'restart', 'kubelet.service']);
    expect(restart.exitCode).toBe(0);
    expect(cluster.kubeletRestarts(broken)).toBe(1);
    const pod = await eventually(async () => {
      const p = await npmPodOn(broken);
      return p && status(p).ready ? p : undefined;
    }, 'azure-npm Ready');
    expect(status(pod).state!.running).toBeDefined();
    expect(pod.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
    const log = await api.core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: 'kube-system' });
    expect(log).toContain('detected iptables version: nft');
    expect(cluster.brokenNodes()).toEqual([]);
  });
});
