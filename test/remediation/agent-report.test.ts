import { parseJobReport } from '../../src/remediation/agent-report.js';

const probe = (verdict: string, backend: string | null) => ({
  schemaVersion: 1,
  verdict,
  backend,
  checks: [],
  ipv6: null,
});

const result = {
  schemaVersion: 1,
  outcome: 'Restarted',
  message: 'kubelet restarted',
  unit: 'kubelet.service',
  before: probe('missing', null),
  after: probe('present', 'nft'),
  kubeletRestarted: true,
  evidence: null,
  cause: 'KubeletInitRace',
  durationMs: 1200,
  truncated: false,
};

describe('parseJobReport', () => {
  it('reads a remediate result', () => {
    expect(parseJobReport(JSON.stringify(result), false)).toEqual({
      ok: true,
      report: {
        kind: 'remediate',
        outcome: 'Restarted',
        before: { verdict: 'missing' },
        after: { verdict: 'present', backend: 'nft' },
        kubeletRestarted: true,
        cause: 'KubeletInitRace',
      },
    });
  });

  it("carries azure-npm's decision and a version mismatch into the summary; an older agent's result still reads", () => {
    const v = (binary: string, version: string) => ({ binary, version, mode: 'nf_tables', error: null });
    const before = {
      ...probe('missing', null),
      azureNpmWouldFind: 'none',
      versions: {
        container: [v('iptables-nft', '1.8.10')],
        host: [v('iptables', '1.8.9')],
        mismatch: true,
      },
    };
    const parsed = parseJobReport(JSON.stringify({ ...result, before }), false);
    expect(parsed.ok && parsed.report.kind === 'remediate' && parsed.report.before).toEqual({
      verdict: 'missing',
      azureNpmWouldFind: 'none',
      iptablesVersionMismatch: expect.stringMatching(/1\.8\.10.*1\.8\.9/),
    });
    const agreeing = { ...before, versions: { ...before.versions, mismatch: false } };
    const quiet = parseJobReport(JSON.stringify({ ...result, before: agreeing }), false);
    expect(quiet.ok && quiet.report.kind === 'remediate' && quiet.report.before).toEqual({
      verdict: 'missing',
      azureNpmWouldFind: 'none',
    });
  });

  it('finds the JSON line in a log tail (FallbackToLogsOnError)', () => {
    const tail = `chainmedic: chains missing\n${JSON.stringify({ ...result, outcome: 'RestartFailed' })}\nsome stderr\n`;
    const parsed = parseJobReport(tail, false);
    expect(parsed.ok && parsed.report.kind === 'remediate' && parsed.report.outcome).toBe('RestartFailed');
  });

  it('reads a dry-run probe', () => {
    expect(parseJobReport(JSON.stringify(probe('present', 'legacy')), true)).toEqual({
      ok: true,
      report: { kind: 'probe', probe: { verdict: 'present', backend: 'legacy' } },
    });
  });

  it.each([
    ['empty', '', /no termination message/],
    ['not JSON', 'Error: boom', /no JSON object/],
    ['truncated JSON', JSON.stringify(result).slice(0, 100), /not valid JSON/],
    ['wrong shape', JSON.stringify({ outcome: 'Rebooted' }), /not an agent result/],
  ])('%s -> an error', (_name, message, error) => {
    const parsed = parseJobReport(message, false);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
});
