import type { Shape } from '../../src/kube/pruned-json.js';
import { parsePruned } from '../../src/kube/pruned-json.js';
import {
  DAEMON_SET_SHAPE,
  EVENT_SHAPE,
  JOB_SHAPE,
  NODE_SHAPE,
  podShape,
  podTrimmer,
  trimDaemonSet,
  trimEvent,
  trimJob,
  trimNode,
} from '../../src/operator/trim.js';
import { CHAINS_CONDITION_TYPE } from '../../src/api/index.js';

// Each informer parses only its transform's shape (trim as you parse). If a transform read a field its shape
// does not name, that field would silently be missing from the cache. So: run every transform over an object in
// which every container exists, through a Proxy that records each property it reads (a read of an absent field is
// recorded too), and check that every recorded path is in the shape. Then check trim(parsePruned(text)) equals
// trim(JSON.parse(text)) on full objects.

/** Between the keys of a recorded path (keys hold dots and slashes). */
const SEP = ' > ';
const ARRAY_READS = new Set([
  'length',
  'map',
  'filter',
  'flatMap',
  'some',
  'find',
  'includes',
  'slice',
  'constructor',
]);

function recording(value: unknown, path: string[], reads: Set<string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof key === 'symbol') return v;
      if (Array.isArray(target)) {
        if (ARRAY_READS.has(key)) return typeof v === 'function' ? v.bind(receiver) : v;
        return recording(v, [...path, '[]'], reads);
      }
      reads.add([...path, key].join(SEP));
      return recording(v, [...path, key], reads);
    },
    ownKeys(target) {
      reads.add([...path, '*'].join(SEP));
      return Reflect.ownKeys(target);
    },
  });
}

/** Is `path` (its keys, `[]` for an array's elements, `*` for every key) inside `shape`? */
function covered(shape: Shape, path: string[]): boolean {
  if (shape === true) return true;
  const [head, ...rest] = path;
  if (head === undefined) return true;
  if (head === '[]') return covered(shape, rest);
  if (head === '*') return false;
  const next = Object.hasOwn(shape, head) ? shape[head] : undefined;
  return next !== undefined && covered(next, rest);
}

function readsOf(trim: (raw: unknown) => unknown, raw: unknown): string[] {
  const reads = new Set<string>();
  trim(recording(raw, [], reads));
  return [...reads];
}

const node = {
  metadata: {
    name: 'n1',
    uid: 'u',
    resourceVersion: '7',
    deletionTimestamp: 't',
    labels: { 'kubernetes.io/os': 'linux', 'kubernetes.azure.com/agentpool': 'p', other: 'x' },
    annotations: {
      'chainmedic.io/opt-out': 'true',
      'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'x',
      big: 'y'.repeat(100),
    },
    managedFields: [{ manager: 'kubelet', fieldsV1: { f: {} } }],
  },
  spec: {
    unschedulable: true,
    podCIDR: '10.0.0.0/24',
    taints: [
      { key: 'ToBeDeletedByClusterAutoscaler', value: '1', effect: 'NoSchedule' },
      { key: 'x', effect: 'NoExecute' },
    ],
  },
  status: {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'm' },
      {
        type: CHAINS_CONDITION_TYPE,
        status: 'True',
        reason: 'ChainsMissing',
        message: 'm',
        lastHeartbeatTime: 'h',
        lastTransitionTime: 't',
      },
      { type: 'MemoryPressure', status: 'False' },
    ],
    nodeInfo: { bootID: 'b', osImage: 'Ubuntu', kernelVersion: '5.15', kubeletVersion: 'v1.33' },
    images: [{ names: ['a@sha256:1', 'a:1'], sizeBytes: 1 }],
    addresses: [{ type: 'InternalIP', address: '10.0.0.4' }],
  },
};

const pod = {
  metadata: {
    name: 'p',
    namespace: 'kube-system',
    uid: 'u',
    resourceVersion: '3',
    deletionTimestamp: 't',
    labels: { 'k8s-app': 'azure-npm', 'job-name': 'j', other: 'x' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'azure-npm', uid: 'd', controller: true },
    ],
    managedFields: [{ manager: 'kubelet' }],
  },
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'azure-npm', image: 'npm:1', env: [{ name: 'A', value: 'b' }] }],
    volumes: [{ name: 'v' }],
  },
  status: {
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't' }],
    containerStatuses: [
      {
        name: 'azure-npm',
        restartCount: 3,
        ready: false,
        image: 'npm:1',
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
        lastState: { terminated: { exitCode: 1 } },
      },
      {
        name: 'agent',
        state: { terminated: { exitCode: 0, reason: 'Completed', message: '{"verdict":"present"}' } },
      },
      { name: 'x', state: { running: { startedAt: 't' } } },
    ],
  },
};

const job = {
  metadata: {
    name: 'j',
    namespace: 'chainmedic-agent',
    uid: 'u',
    resourceVersion: '1',
    creationTimestamp: 'c',
    deletionTimestamp: 'd',
    labels: { a: 'b' },
  },
  spec: {
    template: {
      spec: { nodeName: 'n1', containers: [{ name: 'agent', args: ['agent', 'probe'], image: 'i' }] },
    },
  },
  status: {
    completionTime: 't',
    conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: 't', message: 'm' }],
    succeeded: 1,
  },
};

const event = {
  metadata: { name: 'e', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: 'c' },
  involvedObject: { kind: 'Node', name: 'n1', namespace: '', uid: 'u', apiVersion: 'v1' },
  reason: 'Starting',
  lastTimestamp: 'l',
  eventTime: 'e',
  firstTimestamp: 'f',
  source: { component: 'kubelet' },
};

const daemonSet = {
  metadata: { name: 'azure-npm', namespace: 'kube-system', uid: 'u', resourceVersion: '1' },
  spec: { selector: { matchLabels: { 'k8s-app': 'azure-npm' } }, template: { spec: {} } },
  status: { numberReady: 3 },
};

const kinds: [string, (raw: unknown) => unknown, Shape, unknown][] = [
  ['Node', trimNode, NODE_SHAPE, node],
  ['target Pod', podTrimmer(['k8s-app'], { images: true }), podShape(['k8s-app']), pod],
  ['agent Pod', podTrimmer(['job-name']), podShape(['job-name']), pod],
  ['Job', trimJob, JOB_SHAPE, job],
  ['Event', trimEvent, EVENT_SHAPE, event],
  ['DaemonSet', trimDaemonSet, DAEMON_SET_SHAPE, daemonSet],
];

describe.each(kinds)('%s: the transform reads only what its shape parses', (_kind, trim, shape, raw) => {
  it('every field it reads is in the shape', () => {
    const outside = readsOf(trim, raw).filter((path) => !covered(shape, path.split(SEP)));
    expect(outside).toEqual([]);
  });

  it('trim(parsePruned) equals trim(JSON.parse), and drops what the shape leaves out', () => {
    const text = JSON.stringify(raw);
    expect(trim(parsePruned(text, shape))).toEqual(trim(JSON.parse(text)));
    expect(JSON.stringify(parsePruned(text, shape))).not.toContain('managedFields');
  });
});

describe('the coverage check itself', () => {
  it('finds a read outside the shape', () => {
    const reads = readsOf(trimNode, node);
    const narrow: Shape = { metadata: true, spec: true, status: { conditions: true } };
    expect(reads.filter((path) => !covered(narrow, path.split(SEP)))).toContain(
      ['status', 'nodeInfo'].join(SEP),
    );
  });
});
