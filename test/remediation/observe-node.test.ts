import { observeNode } from '../../src/remediation/observe-node.js';

describe('observeNode', () => {
  it('reads os, readiness, cordon, opt-out and marker', () => {
    expect(
      observeNode({
        metadata: {
          name: 'node-a',
          labels: { 'kubernetes.io/os': 'linux' },
          annotations: { 'chainmedic.io/opt-out': 'True', 'chainmedic.io/cordoned-by': 'nr-1' },
        },
        spec: { unschedulable: true },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    ).toEqual({
      name: 'node-a',
      os: 'linux',
      ready: true,
      unschedulable: true,
      optOut: 'True',
      cordonedBy: 'nr-1',
    });
  });

  it.each([
    ['Ready False', [{ type: 'Ready', status: 'False' }]],
    ['Ready Unknown', [{ type: 'Ready', status: 'Unknown' }]],
    ['no Ready condition', [{ type: 'MemoryPressure', status: 'True' }]],
    ['no conditions', undefined],
  ])('%s is not ready', (_name, conditions) => {
    expect(
      observeNode({ metadata: { name: 'n' }, ...(conditions ? { status: { conditions } } : {}) }).ready,
    ).toBe(false);
  });

  it('an empty node is not linux, not cordoned, not opted out', () => {
    expect(observeNode({ metadata: { name: 'n' } })).toEqual({
      name: 'n',
      os: undefined,
      ready: false,
      unschedulable: false,
      optOut: undefined,
      cordonedBy: undefined,
    });
  });
});
