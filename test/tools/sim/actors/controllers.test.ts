/** The in-memory plane's controllers on a bare store: what each one writes, with no kubelet running the pods. */
import { leaseTimings } from '../../../../tools/sim/cluster.js';
import { createClock, type SimClock } from '../../../../tools/sim/actors/clock.js';
import { DaemonSetController } from '../../../../tools/sim/actors/daemonset-controller.js';
import { EventRecorder } from '../../../../tools/sim/actors/event-recorder.js';
import { JobController } from '../../../../tools/sim/actors/job-controller.js';
import { NodeLifecycleController } from '../../../../tools/sim/actors/node-lifecycle.js';
import { buildNpmDaemonSet } from '../../../../tools/sim/actors/npm-objects.js';
import { createRandom } from '../../../../tools/sim/actors/random.js';
import { microTime } from '../../../../tools/sim/nodes/node-object.js';
import { createSimStore, type SimStoreImpl } from '../../../../tools/sim/api/store.js';
import {
  DAEMONSETS,
  JOBS,
  LEASES,
  NODES,
  PODS,
  SERVICE_ACCOUNTS,
  type KubeObject,
} from '../../../../tools/sim/api/types.js';
import { setupServiceAccounts } from '../../../../tools/sim/setup-objects.js';
import { nodeObject } from '../../../kit/sim-api.js';
import { eventually } from '../../../kit/eventually.js';

const NAMESPACES = ['default', 'kube-system', 'kube-node-lease'];
const readyOf = (node: KubeObject | undefined) =>
  ((node?.status as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).find(
    (c) => c.type === 'Ready',
  )?.status;
const taintKeys = (node: KubeObject | undefined) =>
  ((node?.spec as { taints?: Array<{ key: string }> }).taints ?? []).map((t) => t.key);

function lease(name: string, renewMs: number): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(renewMs) },
  };
}

describe('the memory plane Lease timings', () => {
  it('keep a test-sized fleet quick and a large one cheap', () => {
    expect(leaseTimings(0.01, 3)).toMatchObject({ renewMs: 1_000, graceMs: 5_000 });
    expect(leaseTimings(1, 20)).toMatchObject({ renewMs: 10_000, graceMs: 40_000 });
    // 5,500 nodes renew at most 100 times a second in all.
    const large = leaseTimings(1, 5_500);
    expect(5_500 / (large.renewMs / 1000)).toBeLessThanOrEqual(100);
    expect(large.graceMs).toBe(4 * large.renewMs);
  });
});

describe('the node lifecycle controller', () => {
  let store: SimStoreImpl;
  let clock: SimClock;
  beforeEach(() => {
    store = createSimStore({ namespaces: NAMESPACES });
    clock = createClock({ timeScale: 0.01 });
  });
  afterEach(() => clock.stop());

  it('marks a node whose Lease is older than the grace period Unknown and tainted, and untaints it once Ready', async () => {
    store.create(NODES, nodeObject('silent'));
    store.create(NODES, nodeObject('alive'));
    store.create(LEASES, lease('silent', Date.now() - 60_000));
    store.create(LEASES, lease('alive', Date.now()));
    // Like the real one, it counts the grace period from when it started watching at the earliest.
    const controller = new NodeLifecycleController(store, clock, {
      monitorPeriodMs: 100,
      gracePeriodMs: 200,
    });
    controller.check();
    expect(readyOf(store.get(NODES, undefined, 'silent'))).toBe('True');
    await new Promise((resolve) => setTimeout(resolve, 300));
    store.patch(LEASES, 'kube-node-lease', 'alive', 'merge', { spec: { renewTime: microTime(Date.now()) } });
    controller.check();
    const silent = store.get(NODES, undefined, 'silent');
    expect(readyOf(silent)).toBe('Unknown');
    expect(taintKeys(silent)).toEqual(['node.kubernetes.io/unreachable', 'node.kubernetes.io/unreachable']);
    expect(readyOf(store.get(NODES, undefined, 'alive'))).toBe('True');
    // Its kubelet runs again: a fresh Lease and a Ready status; the controller lifts the taints.
    store.patch(LEASES, 'kube-node-lease', 'silent', 'merge', { spec: { renewTime: microTime(Date.now()) } });
    store.patch(NODES, undefined, 'silent', 'merge', nodeObject('silent'), { subresource: 'status' });
    controller.check();
    expect(taintKeys(store.get(NODES, undefined, 'silent'))).toEqual([]);
  });
});

describe('the Job controller', () => {
  it('a deadline: FailureTarget, the running pod deleted, then Failed; TTL deletes the Job', async () => {
    const store = createSimStore({ namespaces: NAMESPACES });
    const clock = createClock({ timeScale: 0.001 });
    const random = createRandom(1);
    const jobs = new JobController(store, clock, random, new EventRecorder(store, random, Date.now), 0);
    jobs.start();
    try {
      store.create(JOBS, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'slow', namespace: 'default' },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 60,
          ttlSecondsAfterFinished: 120,
          template: { spec: { containers: [{ name: 'c', image: 'x' }], nodeName: 'n1' } },
        },
      });
      const seen: string[][] = [];
      const stop = store.subscribe(JOBS, (e) =>
        seen.push(
          ((e.object.status as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? []).map(
            (c) => c.type,
          ),
        ),
      );
      const [pod] = await eventually(() => {
        const pods = store.list(PODS, { namespace: 'default' });
        return pods.length === 1 ? pods : undefined;
      }, 'the Job pod');
      expect(pod!.metadata.labels).toMatchObject({ 'job-name': 'slow' });
      await eventually(() => store.list(JOBS).length === 0, 'the Job deleted after its TTL');
      stop();
      expect(seen).toContainEqual(['FailureTarget']);
      expect(seen).toContainEqual(['FailureTarget', 'Failed']);
      expect(seen.findIndex((c) => c.includes('Failed'))).toBeGreaterThan(
        seen.findIndex((c) => c.length === 1 && c[0] === 'FailureTarget'),
      );
      expect(store.list(PODS, { namespace: 'default' })).toHaveLength(0);
    } finally {
      jobs.stop();
      clock.stop();
    }
  });
});

describe('the DaemonSet controller', () => {
  it('one pod per matching node, a new one under a new name when deleted, and the counters', async () => {
    const store = createSimStore({ namespaces: NAMESPACES });
    for (const account of setupServiceAccounts(NAMESPACES)) store.create(SERVICE_ACCOUNTS, account);
    const clock = createClock({ timeScale: 0.01 });
    store.create(NODES, nodeObject('linux-1'));
    store.create(NODES, { ...nodeObject('win-1', { 'kubernetes.io/os': 'windows' }) });
    store.create(DAEMONSETS, buildNpmDaemonSet('linux', '', new Date().toISOString(), 0));
    const controller = new DaemonSetController(store, clock, createRandom(2));
    controller.start();
    try {
      const pods = () => store.list(PODS, { namespace: 'kube-system' });
      expect(pods().map((p) => (p.spec as { nodeName: string }).nodeName)).toEqual(['linux-1']);
      const first = pods()[0]!.metadata.name;
      store.delete(PODS, 'kube-system', first);
      const [second] = await eventually(() => (pods().length === 1 ? pods() : undefined), 'a replacement');
      expect(second!.metadata.name).not.toBe(first);
      expect(second!.metadata.name).toMatch(/^azure-npm-/);
      await eventually(
        () =>
          (store.get(DAEMONSETS, 'kube-system', 'azure-npm')?.status as { desiredNumberScheduled?: number })
            ?.desiredNumberScheduled === 1,
        'desiredNumberScheduled 1',
      );
    } finally {
      controller.stop();
      clock.stop();
    }
  });
});
