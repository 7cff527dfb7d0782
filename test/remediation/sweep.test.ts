import { sweepCordons } from '../../src/remediation/sweep.js';
import { inPhase, node, remediation } from './fixtures.js';

describe('sweepCordons', () => {
  const cordoned = (name: string, marker: string | undefined) =>
    node({ name, unschedulable: true, cordonedBy: marker });

  it.each([
    ['no marker (cordoned by someone else)', undefined, [], false],
    ['remediation gone', 'gone-nr', [], true],
    ['remediation Succeeded', 'nr', [remediation(inPhase('Succeeded'), { name: 'nr' })], true],
    ['remediation Skipped', 'nr', [remediation(inPhase('Skipped'), { name: 'nr' })], true],
    ['remediation Failed (KeepCordoned)', 'nr', [remediation(inPhase('Failed'), { name: 'nr' })], false],
    ['remediation still Remediating', 'nr', [remediation(inPhase('Remediating'), { name: 'nr' })], false],
    [
      'remediation Waiting (a retry keeps the cordon)',
      'nr',
      [remediation(inPhase('Waiting'), { name: 'nr' })],
      false,
    ],
    [
      'a remediation of that name for another node',
      'nr',
      [
        remediation(inPhase('Remediating'), {
          name: 'nr',
          spec: { nodeName: 'other', trigger: { source: 'Manual' } },
        }),
      ],
      true,
    ],
  ])('%s -> released: %s', (_name, marker, remediations, released) => {
    const result = sweepCordons([cordoned('node-a', marker)], remediations);
    expect(result).toEqual(released ? [{ node: 'node-a', expectMarker: marker }] : []);
  });

  it('handles many nodes at once', () => {
    const nodes = [
      cordoned('node-a', 'x'),
      node({ name: 'node-b' }),
      cordoned('node-c', undefined),
      cordoned('node-d', 'y'),
    ];
    expect(sweepCordons(nodes, []).map((r) => r.node)).toEqual(['node-a', 'node-d']);
  });
});
