import { remediationName } from '../../src/api/index.js';
import { decide } from '../../src/remediation/decide.js';
import type { ProbeSummary } from '../../src/api/index.js';
import type { Observed, Refusal, Step } from '../../src/remediation/types.js';
import { NOW, NR, finished, inPhase, iso, node, observed, remediation } from './fixtures.js';

const phase = (s: Step) => s.status?.status.phase;
const reason = (s: Step) => s.status?.status.reason;

describe('decide: no active remediation', () => {
  const confirmed = {
    kind: 'confirmed' as const,
    podUid: 'pod-uid-1',
    podName: 'azure-npm-x',
    namespace: 'kube-system',
    container: 'azure-npm',
    restartCount: 5,
    signature: 'failed to detect iptables version',
    observedAt: iso(NOW),
  };

  it('opens one episode per crash-looping pod with a deterministic name', () => {
    const step = decide(observed({ detection: confirmed }));
    expect(step.effect).toMatchObject({
      type: 'createRemediation',
      name: remediationName('node-a', 'pod-uid-1'),
      spec: { nodeName: 'node-a', trigger: { source: 'CrashLoop', podUid: 'pod-uid-1', restartCount: 5 } },
    });
    expect(step.status).toBeUndefined();
  });

  it('does not reopen an episode that already ended', () => {
    const done = remediation(inPhase('Failed'), { name: remediationName('node-a', 'pod-uid-1') });
    expect(decide(observed({ detection: confirmed, remediations: [done] })).effect).toEqual({ type: 'none' });
  });

  it.each([
    ['unconfirmed', { kind: 'unconfirmed' as const, podUid: 'u', podName: 'p', restartCount: 9 }],
    ['none', { kind: 'none' as const }],
  ])('does nothing for a %s detection', (_name, detection) => {
    expect(decide(observed({ detection })).effect).toEqual({ type: 'none' });
  });

  it.each([
    ['gone', [], true],
    ['Succeeded', [remediation(inPhase('Succeeded'))], true],
    ['Skipped', [remediation(inPhase('Skipped'))], true],
    ['Failed (kept cordoned)', [remediation(inPhase('Failed'))], false],
  ])('a cordon whose remediation is %s: released=%s', (_name, remediations, released) => {
    const step = decide(observed({ node: node({ unschedulable: true, cordonedBy: NR }), remediations }));
    expect(step.effect).toEqual(
      released ? { type: 'uncordon', node: 'node-a', expectMarker: NR } : { type: 'none' },
    );
  });
});

describe('decide: the gate (Pending and Waiting)', () => {
  type Case = [string, Partial<Observed>, Record<string, unknown>, string, string, string];
  const recentAttempts = [0, 1, 2].map((i) => ({
    attempt: i + 1,
    jobName: `old-${i + 1}`,
    startTime: iso(NOW - (i + 1) * 60_000),
    completionTime: iso(NOW - 20 * 60_000),
  }));
  const history = remediation(inPhase('Failed', { attempts: recentAttempts }), { name: 'older' });
  const cooling = remediation(
    inPhase('Succeeded', {
      attempts: [
        {
          attempt: 1,
          jobName: 'o-1',
          startTime: iso(NOW - 9 * 60_000),
          completionTime: iso(NOW - 5 * 60_000),
        },
      ],
    }),
    { name: 'older' },
  );
  const cases: Case[] = [
    ['node gone', { node: null }, {}, 'Skipped', 'NodeGone', 'none'],
    ['windows node', { node: node({ os: 'windows' }) }, {}, 'Skipped', 'NotLinux', 'none'],
    ['node without os label', { node: node({ os: undefined }) }, {}, 'Skipped', 'NotLinux', 'none'],
    ['opted out', { node: node({ optOut: 'true' }) }, {}, 'Skipped', 'OptedOut', 'none'],
    [
      'opt-out "True" is not exact',
      { node: node({ optOut: 'True' }) },
      {},
      'Cordoning',
      'AttemptStarted',
      'cordon',
    ],
    ['opt-out "false"', { node: node({ optOut: 'false' }) }, {}, 'Cordoning', 'AttemptStarted', 'cordon'],
    ['paused', {}, { paused: true }, 'Waiting', 'Paused', 'none'],
    [
      'azure-npm Ready again',
      { targetPod: { uid: 'p2', name: 'azure-npm-y', ready: true } },
      {},
      'Skipped',
      'Recovered',
      'none',
    ],
    [
      'azure-npm pod not ready',
      { targetPod: { uid: 'p2', name: 'azure-npm-y', ready: false } },
      {},
      'Cordoning',
      'AttemptStarted',
      'cordon',
    ],
    ['not ready', { node: node({ ready: false }) }, {}, 'Waiting', 'NodeNotReady', 'none'],
    ['attempts exhausted', { remediations: [history] }, {}, 'Failed', 'MaxAttemptsExceeded', 'none'],
    [
      'attempts outside the window',
      { remediations: [history] },
      { attemptWindow: '30s', cooldown: '1s' },
      'Cordoning',
      'AttemptStarted',
      'cordon',
    ],
    ['cooldown', { remediations: [cooling] }, {}, 'Waiting', 'Cooldown', 'none'],
    [
      'cooldown over',
      { remediations: [cooling] },
      { cooldown: '1m' },
      'Cordoning',
      'AttemptStarted',
      'cordon',
    ],
    [
      'storm guard (3 of 20 > 10%)',
      { fleet: { activeRemediations: 0, affectedNodes: 3, linuxNodes: 20 } },
      {},
      'Waiting',
      'StormGuard',
      'none',
    ],
    [
      'storm guard at the limit',
      { fleet: { activeRemediations: 0, affectedNodes: 2, linuxNodes: 20 } },
      {},
      'Cordoning',
      'AttemptStarted',
      'cordon',
    ],
    ['storm guard count 0', {}, { maxUnhealthy: 0 }, 'Waiting', 'StormGuard', 'none'],
    [
      'no free slot',
      { fleet: { activeRemediations: 1, affectedNodes: 2, linuxNodes: 20 } },
      {},
      'Waiting',
      'NoSlot',
      'none',
    ],
    [
      'a free slot of 2',
      { fleet: { activeRemediations: 1, affectedNodes: 2, linuxNodes: 20 } },
      { maxConcurrent: 2 },
      'Cordoning',
      'AttemptStarted',
      'cordon',
    ],
    [
      'already unschedulable',
      { node: node({ unschedulable: true }) },
      {},
      'Cordoning',
      'AttemptStarted',
      'none',
    ],
    ['dry run (policy)', {}, { dryRun: true }, 'Remediating', 'DryRun', 'createJob'],
  ];
  describe.each(['Pending', 'Waiting', undefined] as const)('from %s', (from) => {
    it.each(cases)('%s', (_name, over, policy, expPhase, expReason, effect) => {
      const nr = remediation(from ? { phase: from, reason: 'X' } : undefined, { name: NR });
      const o = observed({ ...over, remediations: [nr, ...(over.remediations ?? [])] }, policy);
      const step = decide(o);
      expect([phase(step), reason(step), step.effect.type]).toEqual([expPhase, expReason, effect]);
    });
  });

  it('bounds the attempts of one remediation even when they fall outside the window', () => {
    const old = (i: number) => ({
      attempt: i,
      jobName: `${NR}-${i}`,
      startTime: iso(NOW - (10 - i) * 3_600_000),
      completionTime: iso(NOW - (10 - i) * 3_600_000 + 60_000),
      reason: 'JobFailed',
    });
    const nr = remediation({
      phase: 'Waiting',
      reason: 'JobFailed',
      attempt: 3,
      attempts: [old(1), old(2), old(3)],
    });
    const step = decide(observed({ remediations: [nr] }));
    expect([phase(step), reason(step)]).toEqual(['Failed', 'MaxAttemptsExceeded']);
  });

  it('starts attempt 1 with a deterministic Job name and the cordon marker naming the remediation', () => {
    const step = decide(observed({ remediations: [remediation()] }));
    expect(step.effect).toMatchObject({ type: 'cordon', node: 'node-a', marker: NR });
    // The cordon waits for the API server's word (a dry run) on exactly the Job that will run.
    const admitted = step.effect.type === 'cordon' ? step.effect.admitFirst : undefined;
    const cordoned = remediation(step.status?.status);
    const next = decide(
      observed({ node: node({ unschedulable: true, cordonedBy: NR }), remediations: [cordoned] }),
    );
    expect(next.effect.type).toBe('createJob');
    expect(admitted).toEqual(next.effect.type === 'createJob' ? next.effect.job : 'no Job');
    expect(step.status?.status).toMatchObject({
      attempt: 1,
      jobName: `${NR}-1`,
      jobSeen: false,
      dryRun: false,
    });
    expect(step.status?.status.attempts).toEqual([{ attempt: 1, jobName: `${NR}-1`, startTime: iso(NOW) }]);
  });

  it('a spec dry run probes without cordoning', () => {
    const nr = remediation(undefined, {
      spec: { nodeName: 'node-a', trigger: { source: 'Manual' }, dryRun: true },
    });
    const step = decide(observed({ remediations: [nr] }));
    expect(step.effect.type).toBe('createJob');
    if (step.effect.type !== 'createJob') return;
    expect(step.effect.job.spec.template.spec.containers[0]?.args).toEqual(['agent', 'probe', '--json']);
  });

  it('does not rewrite an unchanged Waiting status', () => {
    const first = decide(observed({ remediations: [remediation()] }, { paused: true }));
    const again = decide(observed({ remediations: [remediation(first.status?.status)] }, { paused: true }));
    expect(again.status).toBeUndefined();
    expect(again.requeueAfterMs).toBeGreaterThan(0);
  });

  it('skips a second pending remediation for the same node', () => {
    const active = remediation(inPhase('Remediating'), { name: 'first' });
    const dup = remediation({ phase: 'Pending' }, { name: 'second' });
    const step = decide(observed({ remediations: [dup, active] }));
    expect(step.status).toMatchObject({
      name: 'second',
      status: { phase: 'Skipped', reason: 'DuplicateForNode' },
    });
  });
});

describe('decide: Cordoning', () => {
  const cordoning = () => remediation(inPhase('Cordoning'));
  it.each([
    [
      'our marker',
      node({ unschedulable: true, cordonedBy: NR }),
      {},
      'Remediating',
      'createJob',
      { cordonedByUs: true },
    ],
    [
      'cordoned by someone else',
      node({ unschedulable: true }),
      {},
      'Remediating',
      'createJob',
      { wasUnschedulable: true, cordonedByUs: false },
    ],
    [
      'cordoned by another remediation',
      node({ unschedulable: true, cordonedBy: 'other' }),
      {},
      'Remediating',
      'createJob',
      { wasUnschedulable: true },
    ],
    ['not yet cordoned', node(), {}, undefined, 'cordon', {}],
    ['node gone', null, {}, 'Failed', 'none', {}],
    [
      'opted out meanwhile (releases our cordon)',
      node({ unschedulable: true, cordonedBy: NR, optOut: 'true' }),
      {},
      'Uncordoning',
      'uncordon',
      { finalPhase: 'Skipped' },
    ],
    [
      'paused: no Job',
      node({ unschedulable: true, cordonedBy: NR }),
      { paused: true },
      'Cordoning',
      'none',
      {},
    ],
  ] as const)('%s', (_name, n, policy, expPhase, effect, fields) => {
    const step = decide(observed({ node: n, remediations: [cordoning()] }, policy));
    expect(phase(step)).toBe(expPhase);
    expect(step.effect.type).toBe(effect);
    if (expPhase) expect(step.status?.status).toMatchObject(fields);
  });

  // The Job controller's own pod creates are refused silently: unless our cordon's dry run just admitted the pod,
  // it is dry-run before the Job is created.
  it.each([
    ['cordoned by us (admitted before the cordon)', node({ unschedulable: true, cordonedBy: NR }), {}, false],
    ['cordoned by someone else (no cordon, no dry run yet)', node({ unschedulable: true }), {}, true],
    ['dry-run policy (no cordon)', node(), { dryRun: true }, true],
  ] as const)('the Job once %s', (_name, n, policy, admitPodFirst) => {
    const start = 'dryRun' in policy ? remediation(inPhase('Pending')) : cordoning();
    const step = decide(observed({ node: n, remediations: [start] }, policy));
    expect(step.effect).toMatchObject({ type: 'createJob', admitPodFirst });
  });
});

describe('decide: Remediating', () => {
  const cordoned = node({ unschedulable: true, cordonedBy: NR });
  const remediating = (extra = {}) => remediation(inPhase('Remediating', { cordonedByUs: true, ...extra }));

  it('creates the Job when it was never seen (idempotent after a crash)', () => {
    const step = decide(observed({ node: cordoned, remediations: [remediating()] }));
    expect(step.effect.type).toBe('createJob');
    if (step.effect.type === 'createJob') expect(step.effect.job.metadata.name).toBe(`${NR}-1`);
  });

  it('never re-creates a Job it has seen (no second kubelet restart in one attempt)', () => {
    const step = decide(observed({ node: cordoned, remediations: [remediating({ jobSeen: true })] }));
    expect(step.effect.type).not.toBe('createJob');
    expect([phase(step), reason(step)]).toEqual(['Failed', 'JobLost']);
  });

  it('records that the running Job was seen, then just waits', () => {
    const running = { name: `${NR}-1`, state: 'running' as const };
    const step = decide(observed({ node: cordoned, remediations: [remediating()], jobs: [running] }));
    expect(step.status?.status.jobSeen).toBe(true);
    expect(step.effect.type).toBe('none');
    const again = decide(
      observed({ node: cordoned, remediations: [remediating({ jobSeen: true })], jobs: [running] }),
    );
    expect(again.status).toBeUndefined();
    expect(again.effect.type).toBe('none');
  });

  it.each([
    ['Restarted', {}, 'Verifying', 'KubeletRestarted', 'none'],
    ['ChainsPresent', {}, 'Uncordoning', 'ChainsPresent', 'uncordon'],
    ['ChainsStillMissing', {}, 'Failed', 'ChainsStillMissing', 'none'],
    ['ChainsStillMissing', { onFailure: 'Uncordon' }, 'Uncordoning', 'ChainsStillMissing', 'uncordon'],
    ['RestartFailed', {}, 'Failed', 'RestartFailed', 'none'],
    ['ProbeError', {}, 'Waiting', 'ProbeError', 'none'],
    ['ProbeError', { maxAttemptsPerNode: 1 }, 'Failed', 'ProbeError', 'none'],
  ] as const)('agent outcome %s (policy %j) -> %s %s', (outcome, policy, expPhase, expReason, effect) => {
    const step = decide(
      observed({ node: cordoned, remediations: [remediating()], jobs: [finished(outcome)] }, policy),
    );
    expect([phase(step), reason(step), step.effect.type]).toEqual([expPhase, expReason, effect]);
  });

  it('ChainsPresent ends Skipped after releasing the cordon, and says to upgrade azure-npm', () => {
    const step = decide(
      observed({ node: cordoned, remediations: [remediating()], jobs: [finished('ChainsPresent')] }),
    );
    expect(step.status?.status).toMatchObject({ finalPhase: 'Skipped', agent: { kubeletRestarted: false } });
    expect(step.status?.status.message).toMatch(/upgrade azure-npm/);
  });

  it('a Failed remediation with KeepCordoned tells how to uncordon', () => {
    const step = decide(
      observed({ node: cordoned, remediations: [remediating()], jobs: [finished('RestartFailed')] }),
    );
    expect(step.status?.status.message).toMatch(/kubectl uncordon node-a/);
  });

  it.each([
    ['failed without a result', { name: `${NR}-1`, state: 'failed' as const, report: null }, 'JobFailed'],
    [
      'succeeded, unreadable',
      { name: `${NR}-1`, state: 'succeeded' as const, report: null, reportError: 'bad' },
      'AgentResultUnreadable',
    ],
  ])('a Job that %s is retried while attempts remain, keeping the cordon', (_name, job, expReason) => {
    const step = decide(observed({ node: cordoned, remediations: [remediating()], jobs: [job] }));
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Waiting', expReason, 'none']);
    expect(step.status?.status.attempts?.[0]).toMatchObject({ completionTime: iso(NOW), reason: expReason });
  });

  it('a retry that finds the chains present after a lost result verifies instead of blaming azure-npm', () => {
    const st = inPhase('Remediating', {
      attempt: 2,
      jobName: `${NR}-2`,
      cordonedByUs: true,
      attempts: [
        {
          attempt: 1,
          jobName: `${NR}-1`,
          startTime: iso(NOW - 900_000),
          completionTime: iso(NOW - 800_000),
          reason: 'JobFailed',
        },
        { attempt: 2, jobName: `${NR}-2`, startTime: iso(NOW - 60_000) },
      ],
    });
    const step = decide(
      observed({
        node: cordoned,
        remediations: [remediation(st)],
        jobs: [finished('ChainsPresent', `${NR}-2`)],
      }),
    );
    expect(phase(step)).toBe('Verifying');
  });

  it.each([
    [0, 'present'],
    [1, 'missing'],
  ])(
    'a dry-run probe that exited %i without a message is recorded as %s, Skipped DryRun',
    (exitCode, verdict) => {
      const nr = remediation(inPhase('Remediating', { dryRun: true }));
      const job = {
        name: `${NR}-1`,
        state: exitCode === 0 ? ('succeeded' as const) : ('failed' as const),
        report: null,
        exitCode,
      };
      const step = decide(observed({ remediations: [nr], jobs: [job] }));
      expect([phase(step), reason(step), step.effect.type]).toEqual(['Skipped', 'DryRun', 'none']);
      expect(step.status?.status.agent?.before?.verdict).toBe(verdict);
    },
  );
});

describe('decide: Verifying', () => {
  const cordoned = node({ unschedulable: true, cordonedBy: NR });
  const verifying = (extra = {}) =>
    remediation(inPhase('Verifying', { cordonedByUs: true, verifyStartTime: iso(NOW - 10_000), ...extra }));

  it('deletes the crash-looping pod once, recording its uid first', () => {
    const step = decide(observed({ node: cordoned, remediations: [verifying()] }));
    expect(step.status?.status.podDeleted).toBe('pod-uid-1');
    expect(step.effect).toEqual({
      type: 'deletePod',
      namespace: 'kube-system',
      name: 'azure-npm-x',
      uid: 'pod-uid-1',
    });
    const replaced = { uid: 'pod-uid-2', name: 'azure-npm-y', ready: false };
    const again = decide(
      observed({
        node: cordoned,
        remediations: [verifying({ podDeleted: 'pod-uid-1' })],
        targetPod: replaced,
      }),
    );
    expect(again.effect.type).not.toBe('deletePod');
  });

  it('deletes again only the recorded incarnation while it is still there (a crash lost the delete)', () => {
    const old = { uid: 'pod-uid-1', name: 'azure-npm-x', ready: false };
    const step = decide(
      observed({ node: cordoned, remediations: [verifying({ podDeleted: 'pod-uid-1' })], targetPod: old }),
    );
    expect(step.effect).toEqual({
      type: 'deletePod',
      namespace: 'kube-system',
      name: 'azure-npm-x',
      uid: 'pod-uid-1',
    });
    expect(step.status).toBeUndefined();
  });

  it.each([
    [
      'the old pod is still there (deleted again, never Succeeded)',
      { uid: 'pod-uid-1', name: 'azure-npm-x', ready: true },
      true,
      'Verifying',
      'deletePod',
    ],
    [
      'the new pod is not ready',
      { uid: 'pod-uid-2', name: 'azure-npm-y', ready: false },
      true,
      'Verifying',
      'none',
    ],
    [
      'the node is not ready',
      { uid: 'pod-uid-2', name: 'azure-npm-y', ready: true },
      false,
      'Verifying',
      'none',
    ],
    ['all healthy', { uid: 'pod-uid-2', name: 'azure-npm-y', ready: true }, true, 'Uncordoning', 'uncordon'],
  ])('%s', (_name, pod, ready, expPhase, effect) => {
    const step = decide(
      observed({
        node: node({ unschedulable: true, cordonedBy: NR, ready }),
        remediations: [verifying({ podDeleted: 'pod-uid-1' })],
        targetPod: pod,
      }),
    );
    expect([phase(step) ?? 'Verifying', step.effect.type]).toEqual([expPhase, effect]);
  });

  it('fails after verifyTimeout', () => {
    const step = decide(
      observed({
        node: cordoned,
        remediations: [verifying({ podDeleted: 'pod-uid-1', verifyStartTime: iso(NOW - 301_000) })],
      }),
    );
    expect([phase(step), reason(step)]).toEqual(['Failed', 'VerifyTimeout']);
  });
});

describe('decide: Uncordoning', () => {
  const uncordoning = remediation(
    inPhase('Uncordoning', { finalPhase: 'Succeeded', reason: 'Remediated', cordonedByUs: true }),
  );
  it.each([
    ['our marker', node({ unschedulable: true, cordonedBy: NR }), undefined, 'uncordon'],
    ['marker gone', node(), 'Succeeded', 'none'],
    ['marker names someone else', node({ unschedulable: true, cordonedBy: 'someone' }), 'Succeeded', 'none'],
    ['node gone', null, 'Succeeded', 'none'],
  ] as const)('%s', (_name, n, expPhase, effect) => {
    const step = decide(observed({ node: n, remediations: [uncordoning] }));
    expect([phase(step), step.effect.type]).toEqual([expPhase, effect]);
    if (effect === 'uncordon')
      expect(step.effect).toEqual({ type: 'uncordon', node: 'node-a', expectMarker: NR });
  });
});

describe('decide: what the probe saw that a person should know', () => {
  const remediating = remediation(inPhase('Remediating', { cordonedByUs: true, jobSeen: true }));
  const ours = node({ unschedulable: true, cordonedBy: NR });
  const withBefore = (before: ProbeSummary) => {
    const job = finished('Restarted');
    if (job.state === 'running' || job.report?.kind !== 'remediate') throw new Error('fixture');
    return { ...job, report: { ...job.report, before } };
  };
  const warnings = (before: ProbeSummary) =>
    decide(observed({ node: ours, remediations: [remediating], jobs: [withBefore(before)] }))
      .events.filter((e) => e.on === 'node' && e.type === 'Warning')
      .map((e) => e.reason);

  it.each<[string, ProbeSummary, string[]]>([
    ['agreement, same versions', { verdict: 'missing', azureNpmWouldFind: 'none' }, []],
    ['an older agent (no azure-npm decision)', { verdict: 'missing' }, []],
    [
      'azure-npm would find nft where the agent reads missing',
      { verdict: 'missing', azureNpmWouldFind: 'nft' },
      ['AzureNpmDisagrees'],
    ],
    [
      'azure-npm would crash-loop where the agent reads present',
      { verdict: 'present', backend: 'nft', azureNpmWouldFind: 'none' },
      ['AzureNpmDisagrees'],
    ],
    ['a probe azure-npm would still be waiting on', { verdict: 'missing', azureNpmWouldFind: 'unknown' }, []],
    [
      'the versions differ',
      {
        verdict: 'missing',
        azureNpmWouldFind: 'none',
        iptablesVersionMismatch:
          'container iptables-nft 1.8.10 (nf_tables) vs host iptables 1.8.9 (nf_tables)',
      },
      ['IptablesVersionMismatch'],
    ],
  ])('%s', (_name, before, expected) => {
    expect(warnings(before)).toEqual(expected);
  });

  it('a dry-run probe reports them too, with the probe recorded in status', () => {
    const dry = remediation(inPhase('Remediating', { dryRun: true, jobSeen: true }));
    const probeJob = {
      name: `${NR}-1`,
      state: 'succeeded' as const,
      report: {
        kind: 'probe' as const,
        probe: { verdict: 'present' as const, backend: 'nft' as const, azureNpmWouldFind: 'none' as const },
      },
    };
    const step = decide(observed({ remediations: [dry], jobs: [probeJob] }));
    expect(step.status?.status.agent?.before).toMatchObject({ azureNpmWouldFind: 'none' });
    expect(step.events.map((e) => e.reason)).toContain('AzureNpmDisagrees');
  });
});

describe('decide: a call the API server refused', () => {
  const refusal = (call: Refusal['call']): Refusal => ({
    call,
    code: 422,
    reason: 'Invalid',
    message: 'jobs.batch "x" is forbidden: ValidatingAdmissionPolicy \'no-privileged\' denied request: no',
  });
  const ours = node({ unschedulable: true, cordonedBy: NR });
  const cordoning = remediation(inPhase('Cordoning'));

  it('a Job refused by its dry run ends Failed/JobRejected at once, uncordoned, with the message verbatim', () => {
    const step = decide(observed({ remediations: [cordoning], refusal: refusal('admitJob') }));
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Failed', 'JobRejected', 'none']);
    expect(step.status?.status.message).toContain(
      "ValidatingAdmissionPolicy 'no-privileged' denied request: no",
    );
    expect(step.status?.status.message).toContain('(422 Invalid)');
    expect(step.status?.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Completed', status: 'True', reason: 'JobRejected' }),
    );
    expect(step.status?.status.attempts?.[0]).toMatchObject({ reason: 'JobRejected' });
    expect(step.events.map((e) => [e.on, e.type, e.reason])).toEqual([
      ['remediation', 'Warning', 'JobRejected'],
      ['node', 'Warning', 'RemediationFailed'],
    ]);
    expect(step.requeueAfterMs).toBeUndefined();
  });

  it("a pod refused by its dry run says it was the Job's pod", () => {
    const step = decide(observed({ remediations: [cordoning], refusal: refusal('admitPod') }));
    expect([phase(step), reason(step)]).toEqual(['Failed', 'JobRejected']);
    expect(step.status?.status.message).toMatch(
      /^The API server refused the remediation Job's pod \(422 Invalid\)/,
    );
  });

  it.each([['Uncordon'], ['KeepCordoned']] as const)(
    'a Job create refused after our cordon releases it (onFailure %s): nothing ran on the node',
    (onFailure) => {
      const remediating = remediation(inPhase('Remediating', { cordonedByUs: true }));
      const step = decide(
        observed({ node: ours, remediations: [remediating], refusal: refusal('createJob') }, { onFailure }),
      );
      expect([phase(step), reason(step)]).toEqual(['Uncordoning', 'JobRejected']);
      expect(step.effect).toEqual({ type: 'uncordon', node: 'node-a', expectMarker: NR });
      expect(step.status?.status.finalPhase).toBe('Failed');
    },
  );

  it('never releases a cordon that is not ours', () => {
    const step = decide(
      observed({
        node: node({ unschedulable: true, cordonedBy: 'someone' }),
        remediations: [remediation(inPhase('Remediating'))],
        refusal: refusal('createJob'),
      }),
    );
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Failed', 'JobRejected', 'none']);
  });

  it.each([
    ['cordon', 'CordonRejected'],
    ['status', 'StatusRejected'],
  ] as const)('a refused %s ends Failed/%s', (call, expected) => {
    const step = decide(observed({ remediations: [cordoning], refusal: refusal(call) }));
    expect([phase(step), reason(step)]).toEqual(['Failed', expected]);
  });

  it('a refused uncordon ends Failed/UncordonRejected and says how to release the node by hand', () => {
    const uncordoning = remediation(
      inPhase('Uncordoning', { finalPhase: 'Succeeded', reason: 'Remediated' }),
    );
    const step = decide(observed({ node: ours, remediations: [uncordoning], refusal: refusal('uncordon') }));
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Failed', 'UncordonRejected', 'none']);
    expect(step.status?.status.message).toContain('kubectl uncordon node-a');
    expect(step.status?.status.message).toContain('ended Succeeded');
    expect(step.status?.status.finalPhase).toBeUndefined();
  });

  it('a refused pod deletion goes on verifying without deleting again', () => {
    const verifying = remediation(
      inPhase('Verifying', { podDeleted: 'pod-uid-1', verifyStartTime: iso(NOW - 1000), cordonedByUs: true }),
    );
    const step = decide(observed({ node: ours, remediations: [verifying], refusal: refusal('deletePod') }));
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Verifying', 'PodDeleteRejected', 'none']);
    const after = remediation(step.status?.status);
    const next = decide(observed({ node: ours, remediations: [after] }, { deleteCrashingPod: true }));
    expect(next.effect.type).toBe('none');
    const recovered = decide(
      observed({
        node: ours,
        remediations: [after],
        targetPod: { uid: 'pod-uid-1', name: 'azure-npm-x', ready: true },
      }),
    );
    expect([phase(recovered), reason(recovered)]).toEqual(['Uncordoning', 'Remediated']);
  });

  it('with nothing active, a refused NodeRemediation create or stale-cordon release is one Warning on the Node', () => {
    for (const [call, expected] of [
      ['createRemediation', 'RemediationRejected'],
      ['uncordon', 'UncordonRejected'],
    ] as const) {
      const step = decide(observed({ refusal: refusal(call) }));
      expect(step.status).toBeUndefined();
      expect(step.effect.type).toBe('none');
      expect(step.requeueAfterMs).toBeUndefined();
      expect(step.events).toEqual([
        expect.objectContaining({ on: 'node', type: 'Warning', reason: expected }),
      ]);
    }
  });

  it('cuts an overlong server message so the status stays within its 4096 characters', () => {
    const long = { ...refusal('admitJob'), message: 'x'.repeat(10_000) };
    const step = decide(observed({ remediations: [cordoning], refusal: long }));
    expect(step.status?.status.message?.length).toBeLessThanOrEqual(4096);
  });
});
