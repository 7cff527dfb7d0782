import { podKind } from '../../../../tools/sim/nodes/pod-kind.js';

describe('what a simulated kubelet runs', () => {
  const one = (container: { name: string; command?: string[]; args?: string[] }) => ({
    containers: [container],
  });

  it.each([
    ['azure-npm on Linux', one({ name: 'azure-npm' }), 'linux', 'azure-npm'],
    ['azure-npm on Windows', one({ name: 'azure-npm' }), 'windows', 'azure-npm-win'],
    [
      'the agent',
      one({ name: 'agent', command: ['chainmedic'], args: ['agent', 'remediate', '--wait-seconds', '30'] }),
      'linux',
      'agent',
    ],
    [
      'the agent probe',
      one({ name: 'agent', command: ['chainmedic'], args: ['agent', 'probe', '--json'] }),
      'linux',
      'agent',
    ],
    ['anything else', one({ name: 'web', command: ['nginx'] }), 'linux', 'other'],
    ['no container', { containers: [] }, 'linux', 'other'],
    [
      'azure-npm beside a sidecar',
      { containers: [{ name: 'azure-npm' }, { name: 'exporter' }] },
      'linux',
      'other',
    ],
  ] as const)('%s', (_what, spec, os, kind) => {
    expect(podKind({ containers: [...spec.containers] }, os)).toBe(kind);
  });
});
