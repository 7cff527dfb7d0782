import { effectivePolicy, type EffectivePolicy } from '../../src/config/policy.js';
import { seededRandom } from '../../tools/sim/api/faults.js';
import { keyOf } from '../../src/kube/cached.js';
import type { InformerEvent } from '../../src/kube/informer.js';
import { FleetIndex } from '../../src/operator/fleet-index.js';
import { fleetSnapshot } from '../../src/operator/observe.js';
import {
  podTrimmer,
  trimNode,
  type CachedRemediation,
  type TrimmedDaemonSet,
  type TrimmedNode,
  type TrimmedPod,
} from '../../src/operator/trim.js';
import { fleetCounts } from '../../src/remediation/fleet.js';

// The index (kept from the caches' announced changes) against the definition (fleetSnapshot over everything the
// caches hold), after every step of random change sequences: nodes come, go, change OS, get opted out or
// cordoned by us; pods crash-loop, heal, move, lose their owner; remediations start, end, vanish; the DaemonSet
// changes (the caches invalidate the index) and the policy's threshold changes (the index notices).

const ds = (uid: string): TrimmedDaemonSet => ({
  metadata: { name: 'azure-npm', namespace: 'kube-system', uid },
  spec: { selector: { matchLabels: { 'k8s-app': 'azure-npm' } } },
});

const node = (name: string, os: string, optedOut: boolean, cordonedByUs: boolean, rv: number): TrimmedNode =>
  trimNode({
    metadata: {
      name,
      resourceVersion: String(rv),
      labels: { 'kubernetes.io/os': os },
      annotations: {
        ...(optedOut ? { 'chainmedic.io/opt-out': 'true' } : {}),
        ...(cordonedByUs ? { 'chainmedic.io/cordoned-by': 'nr-x' } : {}),
      },
    },
    spec: cordonedByUs ? { unschedulable: true } : {},
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });

const trimPod = podTrimmer(['k8s-app']);
const pod = (
  name: string,
  nodeName: string,
  restarts: number,
  crashing: boolean,
  owner: string,
  rv: number,
) =>
  trimPod({
    metadata: {
      name,
      namespace: 'kube-system',
      uid: `${name}-uid`,
      resourceVersion: String(rv),
      labels: { 'k8s-app': 'azure-npm' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'azure-npm', uid: owner, controller: true },
      ],
    },
    spec: { nodeName, containers: [{ name: 'azure-npm', image: 'x' }] },
    status: {
      containerStatuses: [
        {
          name: 'azure-npm',
          restartCount: restarts,
          ready: !crashing,
          state: crashing ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: {} },
        },
      ],
    },
  });

const PHASES = [
  'Pending',
  'Waiting',
  'Cordoning',
  'Remediating',
  'Verifying',
  'Uncordoning',
  'Succeeded',
  'Failed',
  'Skipped',
];
const remediation = (name: string, nodeName: string, phase: string, rv: number): CachedRemediation =>
  ({
    apiVersion: 'chainmedic.io/v1alpha1',
    kind: 'NodeRemediation',
    metadata: { name, resourceVersion: String(rv) },
    spec: { nodeName, trigger: { source: 'Manual' } },
    status: { phase },
  }) as unknown as CachedRemediation;

class World {
  nodes = new Map<string, TrimmedNode>();
  pods = new Map<string, TrimmedPod>();
  remediations = new Map<string, CachedRemediation>();
  daemonSet: TrimmedDaemonSet | undefined = ds('ds-1');
  policy: EffectivePolicy = effectivePolicy({ maxUnhealthy: 3 });
  readonly index = new FleetIndex({
    nodes: () => [...this.nodes.values()],
    targetPods: () => [...this.pods.values()],
    targetPodsOn: (name) => [...this.pods.values()].filter((p) => p.spec.nodeName === name),
    daemonSet: () => this.daemonSet,
    remediations: () => [...this.remediations.values()],
    policy: () => this.policy,
  });

  /** Applies a change to the cache map and announces it, as an informer does. */
  put<T extends { metadata: { name: string; namespace?: string } }>(
    map: Map<string, T>,
    obj: T,
    announce: (e: InformerEvent<T>) => void,
  ): void {
    const key = keyOf(obj.metadata);
    const old = map.get(key);
    map.set(key, obj);
    announce(old ? { type: 'update', object: obj, old } : { type: 'add', object: obj });
  }

  remove<T>(map: Map<string, T>, key: string, announce: (e: InformerEvent<T>) => void): void {
    const old = map.get(key);
    if (!old) return;
    map.delete(key);
    announce({ type: 'delete', object: old });
  }

  expected() {
    const nodes = [...this.nodes.values()];
    const linux = nodes.filter((n) => n.metadata.labels['kubernetes.io/os'] === 'linux');
    return {
      snapshot: fleetSnapshot(
        nodes,
        [...this.pods.values()],
        this.daemonSet,
        [...this.remediations.values()],
        this.policy,
      ),
      marks: {
        optedOut: linux.filter((n) => n.metadata.annotations['chainmedic.io/opt-out'] === 'true').length,
        cordonedByUs: linux.filter((n) => n.metadata.annotations['chainmedic.io/cordoned-by'] !== undefined)
          .length,
      },
    };
  }
}

function step(w: World, r: () => number, rv: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const nodeName = `n${Math.floor(r() * 12)}`;
  const roll = r();
  if (roll < 0.25) {
    w.put(w.nodes, node(nodeName, r() < 0.8 ? 'linux' : 'windows', r() < 0.2, r() < 0.2, rv), (e) =>
      w.index.node(e),
    );
    return `node ${nodeName}`;
  }
  if (roll < 0.3) {
    w.remove(w.nodes, nodeName, (e) => w.index.node(e));
    return `delete node ${nodeName}`;
  }
  if (roll < 0.6) {
    const name = `p${Math.floor(r() * 14)}`;
    const owner = r() < 0.9 ? 'ds-1' : 'other';
    w.put(w.pods, pod(name, nodeName, Math.floor(r() * 8), r() < 0.4, owner, rv), (e) =>
      w.index.targetPod(e),
    );
    return `pod ${name} on ${nodeName}`;
  }
  if (roll < 0.65) {
    const key = `kube-system/p${Math.floor(r() * 14)}`;
    w.remove(w.pods, key, (e) => w.index.targetPod(e));
    return `delete pod ${key}`;
  }
  if (roll < 0.9) {
    const name = `r${Math.floor(r() * 10)}`;
    w.put(w.remediations, remediation(name, nodeName, pick(PHASES), rv), (e) => w.index.remediation(e));
    return `remediation ${name} on ${nodeName}`;
  }
  if (roll < 0.94) {
    w.remove(w.remediations, `r${Math.floor(r() * 10)}`, (e) => w.index.remediation(e));
    return 'delete remediation';
  }
  if (roll < 0.97) {
    w.daemonSet = r() < 0.8 ? ds(r() < 0.7 ? 'ds-1' : 'other') : undefined;
    w.index.invalidate();
    return `daemonset ${w.daemonSet?.metadata.uid ?? 'gone'}`;
  }
  // Nobody tells the index: it sees the policy's target or threshold change when it is read.
  w.policy = effectivePolicy({ maxUnhealthy: 3, crashLoopRestartThreshold: 1 + Math.floor(r() * 6) });
  return `threshold ${w.policy.crashLoopRestartThreshold}`;
}

describe('FleetIndex', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('equals fleetSnapshot after every change (seed %i)', (seed) => {
    const w = new World();
    const r = seededRandom(seed);
    const history: string[] = [];
    for (let rv = 1; rv <= 400; rv++) {
      history.push(step(w, r, rv));
      // Read only sometimes: a change announced while nothing reads the index must not be lost either.
      if (r() < 0.5 && rv < 400) continue;
      const want = w.expected();
      const got = { snapshot: w.index.snapshot(), marks: w.index.marks() };
      const context = `seed ${seed} after: ${history.slice(-5).join('; ')}`;
      expect({
        context,
        linux: got.snapshot.linuxNodes,
        affected: [...got.snapshot.affected].sort(),
      }).toEqual({
        context,
        linux: want.snapshot.linuxNodes,
        affected: [...want.snapshot.affected].sort(),
      });
      expect({ context, slots: new Map([...got.snapshot.slotsByNode].sort()) }).toEqual({
        context,
        slots: new Map([...want.snapshot.slotsByNode].sort()),
      });
      expect({ context, marks: got.marks }).toEqual({ context, marks: want.marks });
      expect(fleetCounts(got.snapshot, 'n1')).toEqual(fleetCounts(want.snapshot, 'n1'));
    }
  });

  it('reads nothing from the caches between invalidations (changes are applied, not recomputed)', () => {
    const w = new World();
    let reads = 0;
    const counting = new FleetIndex({
      nodes: () => (reads++, [...w.nodes.values()]),
      targetPods: () => (reads++, [...w.pods.values()]),
      targetPodsOn: () => [],
      daemonSet: () => w.daemonSet,
      remediations: () => (reads++, [...w.remediations.values()]),
      policy: () => w.policy,
    });
    counting.snapshot();
    expect(reads).toBe(3);
    for (let i = 0; i < 50; i++) {
      w.put(w.nodes, node(`n${i}`, 'linux', false, false, i), (e) => counting.node(e));
      counting.snapshot();
    }
    expect(reads).toBe(3);
    expect(counting.snapshot().linuxNodes).toBe(50);
    counting.invalidate();
    counting.snapshot();
    expect(reads).toBe(6);
  });
});
