import {
  compileFilter,
  matchesFilter,
  parseFieldSelector,
  parseLabelSelector,
  matchesLabels,
} from '../../../../tools/sim/api/selectors.js';
import { ApiError, type KubeObject } from '../../../../tools/sim/api/types.js';

const labels = { app: 'azure-npm', tier: 'net', 'kubernetes.io/os': 'linux' };

test.each([
  ['app=azure-npm', true],
  ['app==azure-npm', true],
  ['app!=azure-npm', false],
  ['app!=other', true],
  ['missing!=x', true],
  ['app in (azure-npm, other)', true],
  ['app notin (azure-npm)', false],
  ['missing notin (a)', true],
  ['missing in (a)', false],
  ['tier', true],
  ['!tier', false],
  ['!missing', true],
  ['app=azure-npm,tier=net', true],
  ['app=azure-npm,tier=web', false],
  ['kubernetes.io/os=linux', true],
  ['app in (a,b),tier', false],
  ['', true],
])('label selector %p matches: %p', (selector, expected) => {
  expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
});

test('numeric comparisons', () => {
  expect(matchesLabels(parseLabelSelector('n>3'), { n: '5' })).toBe(true);
  expect(matchesLabels(parseLabelSelector('n<3'), { n: '5' })).toBe(false);
});

test('malformed label selector is a 400 BadRequest', () => {
  let error: unknown;
  try {
    parseLabelSelector('app=(bad');
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe(400);
});

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p1', namespace: 'kube-system' },
  spec: { nodeName: 'node-a' },
  status: { phase: 'Running' },
};

const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: {} };

test.each([
  [pod, 'spec.nodeName=node-a', true],
  [pod, 'spec.nodeName==node-a', true],
  [pod, 'spec.nodeName!=node-a', false],
  [pod, 'metadata.name=p1,metadata.namespace=kube-system', true],
  [pod, 'status.phase!=Failed,status.phase!=Succeeded', true],
  [pod, 'status.phase=Pending', false],
  [node, 'spec.unschedulable=false', true],
  [node, 'spec.unschedulable=true', false],
  [{ ...node, spec: { unschedulable: true } }, 'spec.unschedulable=true', true],
])('field selector on %#: %p -> %p', (object, selector, expected) => {
  expect(matchesFilter(compileFilter(undefined, selector), object as KubeObject)).toBe(expected);
});

test('field selector values may escape commas', () => {
  expect(parseFieldSelector('reason=a\\,b,type=Warning')).toEqual([
    { field: 'reason', equals: true, value: 'a,b' },
    { field: 'type', equals: true, value: 'Warning' },
  ]);
});

test('event involvedObject fields', () => {
  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e', namespace: 'kube-system' },
    involvedObject: { kind: 'Pod', name: 'azure-npm-abcde', namespace: 'kube-system', uid: 'u1' },
    reason: 'BackOff',
    type: 'Warning',
  };
  expect(
    matchesFilter(
      compileFilter(undefined, 'involvedObject.kind=Pod,involvedObject.name=azure-npm-abcde,reason=BackOff'),
      event,
    ),
  ).toBe(true);
  expect(matchesFilter(compileFilter(undefined, 'involvedObject.uid=u2'), event)).toBe(false);
});
