import { evaluateJsonPath } from '../../../../tools/sim/api/http/jsonpath.js';
import { humanDuration } from '../../../../tools/sim/api/http/age.js';

const object = {
  spec: { nodeName: 'n1', items: [{ name: 'a' }, { name: 'b' }] },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Cordoned', status: 'True' },
    ],
  },
};

test.each([
  ['.spec.nodeName', ['n1']],
  ['{.spec.nodeName}', ['n1']],
  ['.spec.items[1].name', ['b']],
  ['.spec.items[*].name', ['a', 'b']],
  ['.status.conditions[?(@.type=="Cordoned")].status', ['True']],
  [".status.conditions[?(@.type=='Ready')].status", ['False']],
  ['.status.conditions[?(@.type!="Ready")].type', ['Cordoned']],
  ['.status.missing', []],
])('%s', (path, expected) => {
  expect(evaluateJsonPath(object, path)).toEqual(expected);
});

test.each([
  [5_000, '5s'],
  [119_000, '119s'],
  [150_000, '2m30s'],
  [600_000, '10m'],
  [3 * 3600_000 + 5 * 60_000, '3h5m'],
  [30 * 3600_000, '30h'],
  [3 * 86400_000 + 4 * 3600_000, '3d4h'],
  [40 * 86400_000, '40d'],
])('humanDuration(%p) = %p', (ms, text) => {
  expect(humanDuration(ms)).toBe(text);
});
