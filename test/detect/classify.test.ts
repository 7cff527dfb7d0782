import { effectivePolicy } from '../../src/config/policy.js';
import { classifyPod, isTargetPod } from '../../src/detect/classify.js';
import type { DaemonSetLike, PodLike } from '../../src/detect/pod.js';
import { matchesSelector } from '../../src/detect/selector.js';
import type { ObservedNode } from '../../src/remediation/types.js';

const policy = effectivePolicy(undefined);
const ds: DaemonSetLike = {
  metadata: { name: 'azure-npm', namespace: 'kube-system', uid: 'ds-uid' },
  spec: { selector: { matchLabels: { 'k8s-app': 'azure-npm' } } },
};
const linux: ObservedNode = {
  name: 'node-a',
  os: 'linux',
  ready: true,
  unschedulable: false,
  optOut: undefined,
  cordonedBy: undefined,
  operation: null,
};

function pod(
  overrides: { container?: Record<string, unknown>; meta?: Record<string, unknown>; node?: string } = {},
): PodLike {
  return {
    metadata: {
      name: 'azure-npm-x',
      namespace: 'kube-system',
      uid: 'pod-uid',
      labels: { 'k8s-app': 'azure-npm' },
      ownerReferences: [{ kind: 'DaemonSet', name: 'azure-npm', uid: 'ds-uid', controller: true }],
      ...overrides.meta,
    },
    spec: { nodeName: overrides.node ?? 'node-a' },
    status: {
      containerStatuses: [{ name: 'azure-npm', restartCount: 0, ready: true, ...overrides.container }],
    },
  };
}

describe('isTargetPod', () => {
  it.each([
    ['the DaemonSet pod on a linux node', pod(), linux, true],
    ['a windows node (azure-npm-win has the same labels)', pod(), { ...linux, os: 'windows' }, false],
    ['a node without os label', pod(), { ...linux, os: undefined }, false],
    ['no node', pod(), null, false],
    ['another node', pod({ node: 'node-b' }), linux, false],
    ['labels do not match', pod({ meta: { labels: { 'k8s-app': 'other' } } }), linux, false],
    [
      'owned by another DaemonSet with the same labels (azure-npm-win)',
      pod({
        meta: {
          ownerReferences: [{ kind: 'DaemonSet', name: 'azure-npm-win', uid: 'win-uid', controller: true }],
        },
      }),
      linux,
      false,
    ],
    ['no owner', pod({ meta: { ownerReferences: [] } }), linux, false],
    ['another namespace', pod({ meta: { namespace: 'default' } }), linux, false],
  ])('%s -> %s', (_name, p, node, expected) => {
    expect(isTargetPod(p, ds, node)).toBe(expected);
  });
});

describe('classifyPod', () => {
  it.each([
    ['ready, no restarts', {}, { kind: 'healthy', restartCount: 0 }],
    [
      'CrashLoopBackOff',
      { state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 1, ready: false },
      { kind: 'suspect', reason: 'CrashLoopBackOff', restartCount: 1 },
    ],
    [
      'restarts at the threshold, not ready',
      { restartCount: 3, ready: false },
      { kind: 'suspect', reason: 'RestartThreshold', restartCount: 3 },
    ],
    ['restarts below the threshold', { restartCount: 2, ready: false }, { kind: 'healthy', restartCount: 2 }],
    ['many restarts but recovered', { restartCount: 40, ready: true }, { kind: 'healthy', restartCount: 40 }],
  ])('%s', (_name, container, expected) => {
    expect(classifyPod(pod({ container }), policy)).toEqual(expected);
  });

  it('a pod without the target container is not a target', () => {
    const p = pod();
    p.status!.containerStatuses![0]!.name = 'sidecar';
    expect(classifyPod(p, policy)).toEqual({ kind: 'not-target' });
  });
});

describe('matchesSelector', () => {
  it.each([
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, { a: '1' }, false],
    [undefined, { a: '1' }, false],
  ])('%j on %j -> %s', (selector, labels, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
});
