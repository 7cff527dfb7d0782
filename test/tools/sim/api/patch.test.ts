import { applyMergePatch } from '../../../../tools/sim/api/patch/merge-patch.js';
import { applyJsonPatch } from '../../../../tools/sim/api/patch/json-patch.js';
import { applyStrategicMergePatch } from '../../../../tools/sim/api/patch/strategic-merge-patch.js';
import { ApiError } from '../../../../tools/sim/api/types.js';

test('merge patch: maps merge, null deletes, lists replace (RFC 7386)', () => {
  const target = { a: { b: 1, c: 2 }, list: [1, 2], keep: true };
  const result = applyMergePatch(target, { a: { b: null, d: 3 }, list: [3] });
  expect(result).toEqual({ a: { c: 2, d: 3 }, list: [3], keep: true });
  expect(target).toEqual({ a: { b: 1, c: 2 }, list: [1, 2], keep: true });
});

test('json patch: add, replace, remove, move, copy, test, array append', () => {
  const doc = { metadata: { labels: { a: '1' } }, spec: { taints: [{ key: 'x' }] } };
  const result = applyJsonPatch(doc, [
    { op: 'test', path: '/metadata/labels/a', value: '1' },
    { op: 'add', path: '/metadata/labels/b~1c', value: '2' },
    { op: 'replace', path: '/metadata/labels/a', value: '3' },
    { op: 'add', path: '/spec/taints/-', value: { key: 'y' } },
    { op: 'copy', from: '/spec/taints/0', path: '/spec/first' },
    { op: 'move', from: '/spec/first', path: '/spec/moved' },
    { op: 'remove', path: '/spec/taints/0' },
  ]);
  expect(result).toEqual({
    metadata: { labels: { a: '3', 'b/c': '2' } },
    spec: { taints: [{ key: 'y' }], moved: { key: 'x' } },
  });
});

test('json patch: a failing test op is rejected with 422 and changes nothing', () => {
  const doc = { spec: { unschedulable: false } };
  let error: unknown;
  try {
    applyJsonPatch(doc, [
      { op: 'replace', path: '/spec/unschedulable', value: true },
      { op: 'test', path: '/spec/unschedulable', value: false },
    ]);
  } catch (err) {
    error = err;
  }
  expect((error as ApiError).code).toBe(422);
  expect(doc.spec.unschedulable).toBe(false);
});

test('json patch: removing a missing path fails', () => {
  expect(() => applyJsonPatch({ a: {} }, [{ op: 'remove', path: '/a/b' }])).toThrow(ApiError);
});

test('strategic merge: containers merge by name, env by name, $patch: delete removes an element', () => {
  const pod = {
    spec: {
      containers: [
        { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
        { name: 'b', image: 'b:1' },
      ],
    },
  };
  const result = applyStrategicMergePatch(pod, {
    spec: {
      containers: [
        { name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] },
        { name: 'b', $patch: 'delete' },
        { name: 'c', image: 'c:1' },
      ],
    },
  });
  expect(result).toEqual({
    spec: {
      containers: [
        {
          name: 'a',
          image: 'a:2',
          // As kube-apiserver orders it: an item new to the list before the ones the patch does not name.
          env: [
            { name: 'Y', value: '2' },
            { name: 'X', value: '1' },
          ],
        },
        { name: 'c', image: 'c:1' },
      ],
    },
  });
});

test('strategic merge: conditions merge by type; taints are atomic like the real NodeSpec', () => {
  const node = {
    spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'DiskPressure', status: 'False' },
      ],
    },
  };
  const result = applyStrategicMergePatch(node, {
    spec: { taints: [{ key: 'b', effect: 'NoExecute' }] },
    status: { conditions: [{ type: 'Ready', status: 'False' }] },
  }) as typeof node;
  expect(result.status.conditions).toEqual([
    { type: 'Ready', status: 'False' },
    { type: 'DiskPressure', status: 'False' },
  ]);
  expect(result.spec.taints).toEqual([{ key: 'b', effect: 'NoExecute' }]);
});

test('strategic merge: a merged list takes the order kube-apiserver gives it', () => {
  const node = {
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'DiskPressure', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
  };
  const types = (patch: unknown) =>
    (applyStrategicMergePatch(node, { status: patch }) as typeof node).status.conditions.map((c) => c.type);
  // A new item goes before the items the patch does not name; an updated one keeps its place.
  expect(types({ conditions: [{ type: 'KubeletIPTablesInitFailed', status: 'True' }] })).toEqual([
    'KubeletIPTablesInitFailed',
    'MemoryPressure',
    'DiskPressure',
    'Ready',
  ]);
  expect(
    types({
      conditions: [
        { type: 'DiskPressure', status: 'True' },
        { type: 'New', status: 'True' },
      ],
    }),
  ).toEqual(['MemoryPressure', 'DiskPressure', 'New', 'Ready']);
  // $setElementOrder (what kubelet and kubectl send) orders the items it names.
  expect(
    types({
      '$setElementOrder/conditions': [
        { type: 'Ready' },
        { type: 'MemoryPressure' },
        { type: 'DiskPressure' },
      ],
      conditions: [{ type: 'Ready', status: 'False' }],
    }),
  ).toEqual(['Ready', 'MemoryPressure', 'DiskPressure']);
});

test('strategic merge: finalizers merge as a set; $deleteFromPrimitiveList removes; null deletes a key', () => {
  const obj = { metadata: { finalizers: ['a'], annotations: { x: '1', y: '2' } } };
  const added = applyStrategicMergePatch(obj, {
    metadata: { finalizers: ['b', 'a'], annotations: { x: null } },
  });
  expect(added).toEqual({ metadata: { finalizers: ['a', 'b'], annotations: { y: '2' } } });
  const removed = applyStrategicMergePatch(added, {
    metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
  });
  expect(removed).toEqual({ metadata: { finalizers: ['b'], annotations: { y: '2' } } });
});

test('strategic merge: $patch: replace on a map', () => {
  const result = applyStrategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $patch: 'replace', c: 3 } });
  expect(result).toEqual({ spec: { c: 3 } });
});
