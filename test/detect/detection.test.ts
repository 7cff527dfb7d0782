import { toDetection } from '../../src/detect/detection.js';

const pod = { metadata: { uid: 'u1', name: 'azure-npm-x', namespace: 'kube-system' } };
const suspect = { kind: 'suspect' as const, reason: 'CrashLoopBackOff' as const, restartCount: 7 };
const at = '2026-11-24T20:00:00.000Z';

describe('toDetection', () => {
  it('a suspect pod whose log matched is confirmed', () => {
    expect(toDetection(pod, suspect, { line: 'failed to detect' }, 'azure-npm', at)).toEqual({
      kind: 'confirmed',
      podUid: 'u1',
      podName: 'azure-npm-x',
      namespace: 'kube-system',
      container: 'azure-npm',
      restartCount: 7,
      signature: 'failed to detect',
      observedAt: at,
    });
  });

  it('a suspect pod whose log did not match is unconfirmed', () => {
    expect(toDetection(pod, suspect, null, 'azure-npm', at)).toEqual({
      kind: 'unconfirmed',
      podUid: 'u1',
      podName: 'azure-npm-x',
      restartCount: 7,
    });
  });

  it.each([
    ['log not read yet', suspect, undefined],
    ['healthy pod', { kind: 'healthy' as const, restartCount: 0 }, { line: 'x' }],
    ['not a target', { kind: 'not-target' as const }, { line: 'x' }],
  ])('%s -> none', (_name, cls, match) => {
    expect(toDetection(pod, cls, match, 'azure-npm', at)).toEqual({ kind: 'none' });
  });
});
