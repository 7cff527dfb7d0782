import {
  agentResultSchema,
  probeResultSchema,
  type AgentResult,
  type ChainCheck,
  type ProbeResult,
} from '../../src/agent/result.js';
import { TERMINATION_MESSAGE_LIMIT, serializeProbe, serializeResult } from '../../src/agent/serialize.js';

const check = (binary: string, chain: string, stderr: string): ChainCheck => ({
  binary,
  backend: binary.includes('nft') ? 'nft' : 'legacy',
  chain,
  table: 'mangle',
  exitCode: 1,
  found: false,
  stderr,
  failure: null,
});

function probe(stderr: string): ProbeResult {
  const family = (prefix: string) => ({
    verdict: 'missing' as const,
    backend: null,
    checks: ['nft', 'legacy'].flatMap((b) =>
      ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY'].map((c) => check(`${prefix}-${b}`, c, stderr)),
    ),
  });
  return { schemaVersion: 1, ...family('iptables'), ipv6: family('ip6tables'), azureNpmWouldFind: 'none' };
}

const versions = (error: string) => ({
  container: [
    { binary: 'iptables-nft', version: '1.8.9', mode: 'nf_tables' as const, error: null },
    { binary: 'iptables-legacy', version: null, mode: null, error },
  ],
  host: [
    { binary: 'iptables', version: '1.8.10', mode: 'nf_tables' as const, error: null },
    { binary: 'iptables-nft', version: null, mode: null, error },
    { binary: 'iptables-legacy', version: null, mode: null, error },
  ],
  mismatch: true,
});

function result(options: {
  stderr: string;
  lines: number;
  lineText: string;
  versionError?: string;
}): AgentResult {
  return {
    schemaVersion: 1,
    outcome: 'ChainsStillMissing',
    message: 'restarted kubelet.service (active) but the chains were still missing after 90s',
    unit: 'kubelet.service',
    before: { ...probe(options.stderr), versions: versions(options.versionError ?? 'binary-not-found') },
    after: { ...probe(options.stderr), versions: null },
    kubeletRestarted: true,
    evidence: {
      initLines: Array.from({ length: options.lines }, (_, i) => ({
        kind: 'failed' as const,
        timestamp: '2026-11-24T19:35:45.000Z',
        protocol: i % 2 ? 'IPv6' : 'IPv4',
        line: options.lineText,
      })),
      kubelet: { activeState: 'active', activeEnterTimestamp: '2026-11-24T19:35:44.000Z' },
      iptables: { activeState: 'active', activeEnterTimestamp: '2026-11-24T19:35:46.000Z' },
      errors: ['journalctl -u kubelet.service: timeout'],
    },
    cause: 'KubeletInitRace',
    durationMs: 91234,
    truncated: false,
  };
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('serializeResult', () => {
  it('leaves a result that fits untouched', () => {
    const small = result({ stderr: 'x', lines: 1, lineText: 'failed' });
    const text = serializeResult(small);
    expect(JSON.parse(text)).toEqual(small);
  });

  it('never exceeds 4096 bytes and keeps the outcome, the verdicts and the cause', () => {
    // Multi-byte characters: the limit is in bytes, not characters.
    const huge = result({ stderr: 'é'.repeat(120), lines: 4, lineText: '€'.repeat(240) });
    expect(bytes(JSON.stringify(huge))).toBeGreaterThan(TERMINATION_MESSAGE_LIMIT);

    const text = serializeResult(huge);
    const parsed = agentResultSchema.parse(JSON.parse(text));

    expect(bytes(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    expect(parsed).toMatchObject({
      outcome: 'ChainsStillMissing',
      cause: 'KubeletInitRace',
      kubeletRestarted: true,
      truncated: true,
      before: { verdict: 'missing' },
      after: { verdict: 'missing' },
    });
    expect(parsed.before.azureNpmWouldFind).toBe('none');
    expect(parsed.before.versions).toMatchObject({
      mismatch: true,
      host: [{ binary: 'iptables', version: '1.8.10', mode: 'nf_tables' }, {}, {}],
    });
  });

  it('trims evidence before stderr excerpts', () => {
    const input = result({
      stderr: 'iptables: No chain/target/match by that name.',
      lines: 4,
      lineText: 'y'.repeat(240),
    });
    const full = bytes(JSON.stringify(input));
    // Enough room for everything except most of the evidence lines.
    const text = serializeResult(input, full - 600);
    const parsed = agentResultSchema.parse(JSON.parse(text));

    expect(bytes(text)).toBeLessThanOrEqual(full - 600);
    expect(parsed.truncated).toBe(true);
    expect(
      parsed.before.checks.every((c) => c.stderr === 'iptables: No chain/target/match by that name.'),
    ).toBe(true);
    const evidenceChars = parsed.evidence?.initLines.reduce((n, l) => n + l.line.length, 0) ?? 0;
    expect(evidenceChars).toBeLessThan(4 * 240);
  });

  it('drops stderr excerpts once the evidence is gone, still keeping each check', () => {
    const input = result({ stderr: 's'.repeat(120), lines: 4, lineText: 'y'.repeat(240) });
    const withoutEvidence = { ...input, evidence: { ...input.evidence!, initLines: [], errors: [] } };
    const limit = bytes(JSON.stringify(withoutEvidence)) - 200;

    const parsed = agentResultSchema.parse(JSON.parse(serializeResult(input, limit)));

    expect(parsed.evidence?.initLines).toEqual([]);
    expect(parsed.before.checks).toHaveLength(4);
    expect(parsed.before.checks.every((c) => c.stderr === '')).toBe(true);
  });

  it('shortens version errors before stderr excerpts, and keeps the versions and the mismatch flag', () => {
    const input = result({ stderr: 's'.repeat(120), lines: 0, lineText: '', versionError: 'e'.repeat(160) });
    const limit = bytes(JSON.stringify(input)) - 300;

    const parsed = agentResultSchema.parse(JSON.parse(serializeResult(input, limit)));

    expect(parsed.truncated).toBe(true);
    expect(parsed.before.checks.every((c) => c.stderr === 's'.repeat(120))).toBe(true);
    expect(parsed.before.versions?.host.map((v) => v.error?.length ?? 0)).toEqual([0, 41, 41]);
    expect(parsed.before.versions).toMatchObject({ mismatch: true, host: [{ version: '1.8.10' }, {}, {}] });
  });

  it('still gives the outcome under an absurdly small limit', () => {
    const text = serializeResult(result({ stderr: 'x', lines: 1, lineText: 'y' }), 80);
    expect(bytes(text)).toBeLessThanOrEqual(80);
    expect(JSON.parse(text)).toMatchObject({ outcome: 'ChainsStillMissing', truncated: true });
  });
});

describe('serializeProbe (agent probe)', () => {
  it('leaves a probe that fits untouched', () => {
    const small = { ...probe('x'), versions: versions('binary-not-found') };
    expect(JSON.parse(serializeProbe(small))).toEqual(small);
  });

  it('fits the termination message, keeping the verdicts, azure-npm decision and the versions', () => {
    const huge = { ...probe('é'.repeat(120)), versions: versions('€'.repeat(100)) };
    expect(bytes(JSON.stringify(huge))).toBeGreaterThan(TERMINATION_MESSAGE_LIMIT);

    const text = serializeProbe(huge);
    const parsed = probeResultSchema.parse(JSON.parse(text));

    expect(bytes(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    expect(parsed).toMatchObject({
      verdict: 'missing',
      azureNpmWouldFind: 'none',
      truncated: true,
      versions: { mismatch: true, host: [{ version: '1.8.10' }, {}, {}] },
    });
  });
});
