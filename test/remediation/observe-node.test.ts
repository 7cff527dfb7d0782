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
      operation: null,
    });
  });

  it('reads the bootID, the chains condition and what the cluster is doing to the node', () => {
    const observed = observeNode({
      metadata: { name: 'node-a', deletionTimestamp: '2026-11-30T08:00:00Z' },
      spec: {
        taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1764489600', effect: 'NoSchedule' }],
      },
      status: {
        nodeInfo: { bootID: 'boot-2' },
        conditions: [
          { type: 'Ready', status: 'True' },
          {
            type: 'KubeletIPTablesInitFailed',
            status: 'True',
            reason: 'ChainsMissing',
            message: 'missing',
            lastHeartbeatTime: new Date('2026-11-30T07:00:00Z'),
            lastTransitionTime: '2026-11-30T06:00:00Z',
          },
        ],
      },
    });
    expect(observed.bootID).toBe('boot-2');
    expect(observed.operation?.reason).toBe('NodeDeleting');
    expect(observed.chains).toEqual({
      status: 'True',
      reason: 'ChainsMissing',
      message: 'missing',
      lastHeartbeatTime: '2026-11-30T07:00:00.000Z',
      lastTransitionTime: '2026-11-30T06:00:00Z',
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
      operation: null,
    });
  });
});
