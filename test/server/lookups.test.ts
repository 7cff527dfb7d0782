import { cacheLookups, type RemediationLike } from '../../src/server/admission/lookups.js';

test('cache lookups: the node, and only a non-terminal remediation of that node counts as active', () => {
  const nodes = new Map([['n1', { metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux' } } }]]);
  const remediations: RemediationLike[] = [
    { metadata: { name: 'done' }, spec: { nodeName: 'n1' }, status: { phase: 'Succeeded' } },
    { metadata: { name: 'other-node' }, spec: { nodeName: 'n2' } },
  ];
  const lookups = cacheLookups({ node: (name) => nodes.get(name), remediations: () => remediations });
  expect(lookups.getNode('n1')).toBe(nodes.get('n1'));
  expect(lookups.getNode('nope')).toBeUndefined();
  expect(lookups.activeRemediationFor('n1')).toBeUndefined();
  expect(lookups.activeRemediationFor('n2')).toBe('other-node');
  remediations.push({ metadata: { name: 'new' }, spec: { nodeName: 'n1' } });
  expect(lookups.activeRemediationFor('n1')).toBe('new');
  remediations[2]!.status = { phase: 'Waiting' };
  expect(lookups.activeRemediationFor('n1')).toBe('new');
  remediations[2]!.status = { phase: 'Failed' };
  expect(lookups.activeRemediationFor('n1')).toBeUndefined();
});
