import { parseDuration } from '../../src/config/duration.js';
import {
  DEFAULT_SIGNATURE,
  PolicyError,
  effectivePolicy,
  resolveMaxUnhealthy,
  validatePolicy,
} from '../../src/config/policy.js';

describe('effectivePolicy', () => {
  it('applies the documented defaults when the policy is absent', () => {
    const p = effectivePolicy(undefined);
    expect({ ...p, signatures: p.signatures.map((r) => r.source) }).toEqual({
      paused: false,
      dryRun: false,
      maxConcurrent: 1,
      maxUnhealthy: { kind: 'percent', value: 10 },
      crashLoopRestartThreshold: 3,
      signatures: [expect.any(String)],
      target: { namespace: 'kube-system', daemonSet: 'azure-npm', container: 'azure-npm' },
      cooldownMs: 600_000,
      maxAttemptsPerNode: 3,
      attemptWindowMs: 3_600_000,
      job: { timeoutSeconds: 300, agentWaitSeconds: 90, ttlAfterFinishedSeconds: 3600 },
      verifyTimeoutMs: 300_000,
      deleteCrashingPod: true,
      onFailure: 'KeepCordoned',
      audit: { enabled: true, afterKubeletStartMs: 120_000, intervalMs: 86_400_000, maxConcurrentProbes: 3 },
    });
    expect(p.signatures[0]!.test(`x ${DEFAULT_SIGNATURE}`)).toBe(true);
  });

  it('refuses an agent image the operator was not configured to allow, and any image without a context', () => {
    const spec = { job: { image: 'evil.example/x:1' } };
    const refused = validatePolicy(spec, { allowedImages: ['reg/chainmedic:1'] });
    expect(refused).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(
          /^spec\.job\.image: "evil\.example\/x:1" is not an agent image .*"reg\/chainmedic:1"/,
        ),
      ],
    });
    expect(validatePolicy(spec).ok).toBe(false);
    expect(validatePolicy({ job: { image: 'reg/chainmedic:1' } }).ok).toBe(false);
    expect(
      validatePolicy({ job: { image: 'reg/chainmedic:1' } }, { allowedImages: ['reg/chainmedic:1'] }).ok,
    ).toBe(true);
    expect(validatePolicy({}).ok).toBe(true);
  });

  it('keeps given values and parses them', () => {
    const p = effectivePolicy(
      {
        maxUnhealthy: 4,
        cooldown: '1h30m',
        attemptWindow: '6h',
        job: { timeout: '10m', agentWaitSeconds: 120, image: 'reg/chainmedic:1' },
        onFailure: 'Uncordon',
      },
      { allowedImages: ['reg/chainmedic:0', 'reg/chainmedic:1'] },
    );
    expect(p.maxUnhealthy).toEqual({ kind: 'count', value: 4 });
    expect(p.cooldownMs).toBe(5_400_000);
    expect(p.job).toEqual({
      timeoutSeconds: 600,
      agentWaitSeconds: 120,
      ttlAfterFinishedSeconds: 3600,
      image: 'reg/chainmedic:1',
    });
    expect(p.onFailure).toBe('Uncordon');
  });

  it.each([
    [{ cooldown: '10 minutes' }, /spec\.cooldown: "10 minutes" is not a duration/],
    [{ maxUnhealthy: '150%' }, /spec\.maxUnhealthy/],
    [{ maxUnhealthy: 'ten' }, /spec\.maxUnhealthy/],
    [{ signatures: ['(unclosed'] }, /spec\.signatures\[0\]: not a valid regular expression/],
    [{ signatures: [] }, /spec\.signatures: must not be empty/],
    [{ signatures: ['.*'] }, /spec\.signatures\[0\]: \/\.\*\/ matches an empty log/],
    [{ cooldown: '2h', attemptWindow: '1h' }, /spec\.cooldown: must not be longer than spec\.attemptWindow/],
    [{ maxConcurrent: 0 }, /spec\.maxConcurrent/],
    [{ onFailure: 'Reboot' }, /spec\.onFailure/],
    [
      { job: { timeout: '60s', agentWaitSeconds: 90 } },
      /agentWaitSeconds: 90s must be shorter than spec\.job\.timeout/,
    ],
    [{ attemptWindow: '0s' }, /spec\.attemptWindow/],
  ])('rejects %j', (spec, message) => {
    const result = validatePolicy(spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(message);
    expect(() => effectivePolicy(spec as never)).toThrow(PolicyError);
  });

  it('reports every bad value at once', () => {
    const result = validatePolicy({ cooldown: 'x', verifyTimeout: 'y' });
    expect(result.ok ? [] : result.errors).toHaveLength(2);
  });
});

describe('resolveMaxUnhealthy', () => {
  it.each([
    [{ kind: 'percent', value: 10 }, 20, 2],
    [{ kind: 'percent', value: 10 }, 21, 3],
    [{ kind: 'percent', value: 10 }, 3, 1],
    [{ kind: 'percent', value: 0 }, 100, 1],
    [{ kind: 'count', value: 0 }, 100, 0],
    [{ kind: 'count', value: 7 }, 3, 7],
  ] as const)('%j of %i nodes -> %i', (limit, nodes, expected) => {
    expect(resolveMaxUnhealthy(limit, nodes)).toBe(expected);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0s', 0],
  ])('%s = %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', '-1m', '1d', 'm', '1h 30m', '5 s'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeNull(),
  );
});
