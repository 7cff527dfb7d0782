import type { NodeRemediationStatus, ProbeSummary } from '../../src/api/index.js';
import {
  chainsConditionFor,
  chainsConditionUpdate,
  lastProbedAt,
  latentProbe,
  latestFinding,
  probeSummaryOf,
  type ChainsFinding,
  type ObservedProbe,
} from '../../src/audit/findings.js';
import type { ChainsCondition, ObservedRemediation } from '../../src/remediation/types.js';

const T = Date.parse('2026-11-30T07:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const isoS = (ms: number) => iso(ms).replace('.000Z', 'Z');
const PRESENT: ProbeSummary = { verdict: 'present', backend: 'nft' };
const LEGACY: ProbeSummary = { verdict: 'present', backend: 'legacy' };
const MISSING: ProbeSummary = { verdict: 'missing' };
const ERROR: ProbeSummary = { verdict: 'error' };

function probeJob(
  name: string,
  finishedAt: number | undefined,
  probe?: ProbeSummary | null,
  o: Partial<ObservedProbe> = {},
): ObservedProbe {
  return {
    name,
    uid: `uid-${name}`,
    reason: 'Rolling',
    createdAt: (finishedAt ?? T) - 30_000,
    state: finishedAt === undefined ? 'running' : 'succeeded',
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(probe !== undefined ? { probe } : {}),
    ...o,
  };
}

function nr(name: string, status: NodeRemediationStatus | undefined): ObservedRemediation {
  return {
    name,
    uid: `uid-${name}`,
    spec: { nodeName: 'node-a', trigger: { source: 'CrashLoop' } },
    ...(status ? { status } : {}),
  };
}

/** A remediation whose attempt 1 ended at `at` with the agent's report. */
function reported(
  name: string,
  at: number,
  agent: NodeRemediationStatus['agent'],
  extra: NodeRemediationStatus = {},
) {
  return nr(name, {
    phase: 'Skipped',
    attempt: 1,
    attempts: [{ attempt: 1, jobName: `${name}-1`, startTime: iso(at - 60_000), completionTime: iso(at) }],
    agent,
    ...extra,
  });
}

describe('latestFinding: the newest look at the chains wins, whatever looked', () => {
  it('nothing finished: no finding', () => {
    expect(latestFinding([probeJob('p-run', undefined)], [nr('r0', undefined)])).toBeNull();
    expect(latestFinding([], [])).toBeNull();
  });

  it.each([
    ['a newer probe Job over an older remediation', T + 1_000, T, 'probe Job p1', MISSING],
    ['a newer remediation over an older probe Job', T, T + 1_000, 'NodeRemediation r1', PRESENT],
  ])('%s', (_name, probeAt, nrAt, by, probe) => {
    const f = latestFinding(
      [probeJob('p1', probeAt, MISSING)],
      [
        reported(
          'r1',
          nrAt,
          { before: MISSING, after: PRESENT, kubeletRestarted: true, outcome: 'Restarted' },
          { verifyStartTime: iso(nrAt) },
        ),
      ],
    );
    expect(f).toMatchObject({ by, probe });
  });

  it('the newest of several probe Jobs, in any order; a running one does not count', () => {
    const f = latestFinding(
      [
        probeJob('p2', T + 2_000, PRESENT),
        probeJob('p3', T + 3_000, MISSING),
        probeJob('p1', T + 1_000, ERROR),
        probeJob('p4', undefined),
      ],
      [],
    );
    expect(f).toEqual({ at: T + 3_000, probe: MISSING, by: 'probe Job p3' });
  });

  it('a probe Job that left no result is a finding (null), with its error', () => {
    const failed = probeJob('p1', T, null, { state: 'failed', reportError: 'OOMKilled' });
    expect(latestFinding([failed], [])).toEqual({
      at: T,
      probe: null,
      by: 'probe Job p1',
      reportError: 'OOMKilled',
    });
  });

  it("a remediation's after-probe over its before-probe, at the start of its verification", () => {
    const r = reported(
      'r1',
      T,
      { before: MISSING, after: LEGACY, kubeletRestarted: true, outcome: 'Restarted' },
      { verifyStartTime: iso(T + 5_000) },
    );
    expect(latestFinding([], [r])).toEqual({ at: T + 5_000, probe: LEGACY, by: 'NodeRemediation r1' });
  });

  it("a remediation's before-probe at the end of its attempt (ChainsPresent, dry run)", () => {
    const r = reported('r1', T, { before: PRESENT, kubeletRestarted: false, outcome: 'ChainsPresent' });
    expect(latestFinding([], [r])).toEqual({ at: T, probe: PRESENT, by: 'NodeRemediation r1' });
  });

  it('a remediation with no agent report, or no time, is no finding', () => {
    const noAgent = nr('r1', {
      phase: 'Waiting',
      attempt: 1,
      attempts: [{ attempt: 1, jobName: 'j', startTime: iso(T), completionTime: iso(T) }],
    });
    const noTime = nr('r2', { phase: 'Remediating', agent: { before: MISSING, kubeletRestarted: false } });
    expect(latestFinding([], [noAgent, noTime])).toBeNull();
  });

  it('newest across both sources, among many', () => {
    const f = latestFinding(
      [probeJob('p1', T + 1_000, MISSING), probeJob('p2', T + 4_000, ERROR)],
      [
        reported('r1', T + 3_000, { before: PRESENT, kubeletRestarted: false }),
        reported('r2', T + 5_000, { before: MISSING, kubeletRestarted: false }),
        reported('r3', T + 2_000, { before: PRESENT, kubeletRestarted: false }),
      ],
    );
    expect(f).toMatchObject({ at: T + 5_000, by: 'NodeRemediation r2' });
  });
});

describe('chainsConditionFor: the KubeletIPTablesInitFailed condition', () => {
  const at = T + 1_789; // heartbeat in whole seconds: 07:00:01Z
  it.each([
    [MISSING, 'True', 'ChainsMissing', /are missing in iptables-nft and iptables-legacy \(probe Job p1\)/],
    [PRESENT, 'False', 'ChainsPresent', /exist \(iptables-nft; probe Job p1\)/],
    [LEGACY, 'False', 'ChainsPresent', /exist \(iptables-legacy; probe Job p1\)/],
    [{ verdict: 'present' } as ProbeSummary, 'False', 'ChainsPresent', /iptables-nft/],
    [ERROR, 'Unknown', 'ProbeError', /probe Job p1 could not check the chains/],
    [null, 'Unknown', 'ProbeFailed', /probe Job p1 ended without a result \(no termination message\)/],
  ])('%j -> %s/%s', (probe, status, reason, message) => {
    const c = chainsConditionFor({ at, probe, by: 'probe Job p1' }, undefined);
    expect(c).toMatchObject({
      status,
      reason,
      lastHeartbeatTime: '2026-11-30T07:00:01Z',
      lastTransitionTime: '2026-11-30T07:00:01Z',
    });
    expect(c.message).toMatch(message);
  });

  it('ProbeFailed names the error', () => {
    const c = chainsConditionFor(
      { at, probe: null, by: 'probe Job p1', reportError: 'DeadlineExceeded' },
      undefined,
    );
    expect(c.message).toContain('(DeadlineExceeded)');
  });

  const was = (status: ChainsCondition['status'], reason = 'X'): ChainsCondition => ({
    status,
    reason,
    message: 'm',
    lastHeartbeatTime: isoS(T - 3_600_000),
    lastTransitionTime: isoS(T - 7_200_000),
  });
  it.each([
    ['True stays True: kept', was('True'), MISSING, isoS(T - 7_200_000)],
    ['False stays False: kept', was('False'), PRESENT, isoS(T - 7_200_000)],
    [
      'Unknown (ProbeError) to Unknown (ProbeFailed): kept',
      was('Unknown', 'ProbeError'),
      null,
      isoS(T - 7_200_000),
    ],
    ['True to False: now', was('True'), PRESENT, '2026-11-30T07:00:01Z'],
    ['False to True: now', was('False'), MISSING, '2026-11-30T07:00:01Z'],
    ['False to Unknown: now', was('False'), ERROR, '2026-11-30T07:00:01Z'],
    [
      'no transition time yet: now',
      { ...was('True'), lastTransitionTime: '' },
      MISSING,
      '2026-11-30T07:00:01Z',
    ],
  ])('transition time: %s', (_name, current, probe, transition) => {
    const c = chainsConditionFor({ at, probe, by: 'probe Job p1' }, current);
    expect([c.lastHeartbeatTime, c.lastTransitionTime]).toEqual(['2026-11-30T07:00:01Z', transition]);
  });
});

describe('chainsConditionUpdate: written only when it says something new', () => {
  const finding = (at: number, probe: ProbeSummary | null = MISSING, by = 'probe Job p1'): ChainsFinding => ({
    at,
    probe,
    by,
  });
  const written = (f: ChainsFinding) => chainsConditionFor(f, undefined);

  it('no finding: nothing', () => {
    expect(chainsConditionUpdate(null, undefined)).toBeNull();
    expect(chainsConditionUpdate(null, written(finding(T)))).toBeNull();
  });

  it('no condition yet: written', () => {
    expect(chainsConditionUpdate(finding(T), undefined)).toEqual(written(finding(T)));
  });

  it.each([
    ['the same finding again', finding(T + 500), finding(T + 500), false],
    ['the same second, later ms, same words', finding(T + 100), finding(T + 900), false],
    [
      'the same second, other words (another Job)',
      finding(T + 100),
      finding(T + 900, MISSING, 'probe Job p2'),
      true,
    ],
    ['the same second, other verdict', finding(T + 100), finding(T + 900, PRESENT), true],
    [
      'an older finding (an older Job, a lagging cache)',
      finding(T + 5_000),
      finding(T + 1_000, PRESENT),
      false,
    ],
    [
      'older by less than a second, in an earlier second',
      finding(T + 1_000),
      finding(T + 999, PRESENT),
      false,
    ],
    ['the next second, same words: a new heartbeat', finding(T + 900), finding(T + 1_000), true],
    // The same Job read again once its TTL deleted its pod (the pods go first): the result stands.
    ['the same moment, no result after a result', finding(T + 500, PRESENT), finding(T + 500, null), false],
    ['the same moment, a result after no result', finding(T + 500, null), finding(T + 500, PRESENT), true],
    ['a newer look without a result', finding(T + 500, PRESENT), finding(T + 2_000, null), true],
    ['newer, another verdict', finding(T), finding(T + 60_000, PRESENT), true],
  ])('%s: written=%s', (_name, before, after, expected) => {
    const current = written(before);
    const update = chainsConditionUpdate(after, current);
    expect(update !== null).toBe(expected);
    if (update) expect(update).toEqual(chainsConditionFor(after, current));
  });

  it('a newer finding with the same status keeps the transition time and moves the heartbeat', () => {
    const first = written(finding(T));
    const next = chainsConditionUpdate(finding(T + 60_000, MISSING, 'probe Job p2'), first)!;
    expect([next.lastTransitionTime, next.lastHeartbeatTime]).toEqual([isoS(T), isoS(T + 60_000)]);
  });

  it('a condition with an unreadable heartbeat is rewritten', () => {
    const current = { ...written(finding(T)), lastHeartbeatTime: 'garbage' };
    expect(chainsConditionUpdate(finding(T), current)).not.toBeNull();
  });

  it('lastProbedAt reads the heartbeat back in ms', () => {
    expect(lastProbedAt(written(finding(T + 1_789)))).toBe(T + 1_000);
    expect(lastProbedAt(undefined)).toBeUndefined();
    expect(lastProbedAt({ ...written(finding(T)), lastHeartbeatTime: '' })).toBeUndefined();
  });
});

describe('latentProbe: the newest finding is a probe Job that found the chains missing', () => {
  const p1 = probeJob('p1', T, MISSING);
  it.each([
    ['the newest is a missing probe', [p1], [], 'p1'],
    ['the newest is a present probe', [p1, probeJob('p2', T + 1_000, PRESENT)], [], null],
    ['the newest is an error probe', [p1, probeJob('p2', T + 1_000, ERROR)], [], null],
    [
      'the newest is a probe without result',
      [p1, probeJob('p2', T + 1_000, null, { state: 'failed' })],
      [],
      null,
    ],
    ['an older present probe', [probeJob('p0', T - 1_000, PRESENT), p1], [], 'p1'],
    [
      'a remediation looked later (missing too)',
      [p1],
      [reported('r1', T + 1_000, { before: MISSING, kubeletRestarted: false })],
      null,
    ],
    [
      'a remediation looked earlier',
      [p1],
      [reported('r1', T - 1_000, { before: PRESENT, kubeletRestarted: false })],
      'p1',
    ],
    ['a running probe is no finding', [p1, probeJob('p2', undefined)], [], 'p1'],
    ['nothing', [], [], null],
  ])('%s -> %s', (_name, probes, remediations, expected) => {
    const latest = latestFinding(probes, remediations);
    expect(latentProbe(probes, latest)?.name ?? null).toBe(expected);
  });
});

describe('probeSummaryOf', () => {
  it.each([
    ['a probe report', { kind: 'probe' as const, probe: LEGACY }, 1, LEGACY],
    ['exit 0 without a message', null, 0, { verdict: 'present' }],
    ['exit 1 without a message', null, 1, { verdict: 'missing' }],
    ['exit 2', null, 2, null],
    ['no exit code', null, undefined, null],
    ['exit null', null, null, null],
  ])('%s', (_name, report, exitCode, expected) => {
    expect(probeSummaryOf(report, exitCode)).toEqual(expected);
  });
});
