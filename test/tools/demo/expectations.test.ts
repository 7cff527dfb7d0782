import type { NodeTimeline, RemediationTimeline } from '../../../tools/bench/timeline.js';
import { isSettled, judge, type DemoNodeFacts } from '../../../tools/demo/expectations.js';
import { breakOf, planDemoFleet, type DemoRole } from '../../../tools/demo/fleet.js';

const nr = (
  phase: RemediationTimeline['phase'],
  extra: Partial<RemediationTimeline> = {},
): RemediationTimeline => ({
  name: 'r',
  node: 'n',
  createdMs: 0,
  phase,
  phases: [],
  attempts: 1,
  jobs: [],
  deleted: false,
  ...extra,
});

const node = (extra: Partial<NodeTimeline> = {}): NodeTimeline => ({
  name: 'n',
  unschedulable: false,
  everMarked: false,
  everCordonedWhileWatched: false,
  npmReadyTimes: [],
  ...extra,
});

const facts = (role: DemoRole, extra: Partial<DemoNodeFacts>): DemoNodeFacts => ({
  node: 'n',
  role,
  remediations: [],
  kubeletRestarts: 0,
  brokenCause: null,
  timeline: node(),
  ...extra,
});

describe('demo expectations', () => {
  it.each<[string, DemoNodeFacts, string[]]>([
    [
      'race healed once and released',
      facts('race', {
        remediations: [nr('Succeeded')],
        kubeletRestarts: 1,
        timeline: node({ everMarked: true }),
      }),
      [],
    ],
    [
      'race restarted twice',
      facts('race', { remediations: [nr('Succeeded')], kubeletRestarts: 2 }),
      ['kubelet was restarted 2 time(s), expected 1'],
    ],
    [
      'race left cordoned',
      facts('race', {
        remediations: [nr('Succeeded')],
        kubeletRestarts: 1,
        timeline: node({ unschedulable: true, cordonedBy: 'r' }),
      }),
      ['the node was left cordoned', 'the cordon marker is still there (r)'],
    ],
    [
      'image bug skipped without restart',
      facts('npm-image-bug', { remediations: [nr('Skipped', { reason: 'ChainsPresent' })] }),
      [],
    ],
    [
      'image bug restarted kubelet',
      facts('npm-image-bug', {
        remediations: [nr('Skipped', { reason: 'ChainsPresent' })],
        kubeletRestarts: 1,
      }),
      ['kubelet was restarted 1 time(s), expected 0'],
    ],
    [
      'opted out, skipped by the operator',
      facts('opted-out', {
        remediations: [nr('Skipped', { reason: 'OptedOut' })],
        brokenCause: 'kubelet-init-race',
      }),
      [],
    ],
    [
      'opted out but cordoned',
      facts('opted-out', { timeline: node({ everCordonedWhileWatched: true }) }),
      ['the node was cordoned'],
    ],
    [
      'admin cordon kept',
      facts('pre-cordoned', {
        remediations: [nr('Succeeded', { wasUnschedulable: true })],
        kubeletRestarts: 1,
        timeline: node({ unschedulable: true }),
      }),
      [],
    ],
    [
      'admin cordon removed',
      facts('pre-cordoned', {
        remediations: [nr('Succeeded', { wasUnschedulable: true })],
        kubeletRestarts: 1,
        timeline: node({ unschedulable: false }),
      }),
      ['the admin cordon was removed'],
    ],
    [
      'windows with a remediation',
      facts('windows', { remediations: [nr('Skipped', { reason: 'NotLinux' })] }),
      ['unexpected NodeRemediation: r is Skipped (NotLinux)'],
    ],
    ['healthy untouched', facts('healthy', {}), []],
    [
      'latent found by the audit, healed once, azure-npm never restarted',
      facts('latent', {
        remediations: [nr('Succeeded')],
        kubeletRestarts: 1,
        sources: { r: 'Audit' },
        npmAtBreak: { uid: 'p', restartCount: 0 },
        npmNow: { uid: 'p', restartCount: 0 },
      }),
      [],
    ],
    [
      'latent only caught once azure-npm crashed',
      facts('latent', {
        remediations: [nr('Succeeded')],
        kubeletRestarts: 1,
        sources: { r: 'CrashLoop' },
        npmAtBreak: { uid: 'p', restartCount: 0 },
        npmNow: { uid: 'p', restartCount: 2 },
      }),
      ['r was opened by CrashLoop, expected Audit', 'azure-npm restarted (restartCount 0 -> 2)'],
    ],
    [
      'latent healed with two kubelet restarts, azure-npm replaced',
      facts('latent', {
        remediations: [nr('Succeeded')],
        kubeletRestarts: 2,
        sources: { r: 'Audit' },
        npmAtBreak: { uid: 'p', restartCount: 0 },
        npmNow: { uid: 'q', restartCount: 0 },
      }),
      ['kubelet was restarted 2 time(s), expected 1', 'azure-npm was replaced by a new pod'],
    ],
    [
      'latent never found',
      facts('latent', { brokenCause: 'kubelet-init-race' }),
      [
        'expected exactly one NodeRemediation, found 0',
        'kubelet was restarted 0 time(s), expected 1',
        'azure-npm was not seen on the node',
        'the node is still broken (kubelet-init-race)',
      ],
    ],
  ])('%s', (_name, input, problems) => {
    const verdict = judge(input);
    expect(verdict.problems).toEqual(problems);
    expect(verdict.ok).toBe(problems.length === 0);
  });

  it('a broken node is settled only once its remediation finished', () => {
    expect(isSettled(facts('race', {}))).toBe(false);
    expect(isSettled(facts('race', { remediations: [nr('Verifying')] }))).toBe(false);
    expect(isSettled(facts('race', { remediations: [nr('Failed')] }))).toBe(true);
    expect(isSettled(facts('healthy', {}))).toBe(true);
    expect(isSettled(facts('opted-out', { remediations: [nr('Pending')] }))).toBe(false);
    // A latent node is settled once the audit found it and its remediation finished.
    expect(isSettled(facts('latent', {}))).toBe(false);
    expect(isSettled(facts('latent', { remediations: [nr('Succeeded')] }))).toBe(true);
  });

  it('lays out every role and refuses a fleet too small for it', () => {
    const fleet = planDemoFleet(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], ['w']);
    expect(new Set(fleet.map((n) => n.role))).toEqual(
      new Set(['race', 'npm-image-bug', 'opted-out', 'pre-cordoned', 'latent', 'healthy', 'windows']),
    );
    // One latent node, the last linux node (never one of the crash-loop nodes), broken latently.
    expect(fleet.filter((n) => n.role === 'latent').map((n) => n.name)).toEqual(['h']);
    expect(breakOf('latent')).toEqual({ cause: 'kubelet-init-race', latent: true });
    expect(breakOf('race')).toEqual({ cause: 'kubelet-init-race' });
    expect(breakOf('healthy')).toBeNull();
    expect(() => planDemoFleet(['a'], [])).toThrow(/at least/);
  });
});
