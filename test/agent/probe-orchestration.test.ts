import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeChains } from '../../src/agent/probe.js';
import type { CommandResult, Runner } from '../../src/agent/runner.js';

/**
 * The order and stopping rule of probeChains over a scripted Runner. Real iptables is covered
 * in probe-netns.test.ts; this covers what cannot be staged there safely: timeouts and
 * commands that cannot start (the xtables lock is shared with the whole machine).
 */

function scripted(
  answers: Record<string, Partial<CommandResult>>,
  onCall: (argv: readonly string[]) => void = () => {},
): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = async (argv) => {
    onCall(argv);
    const key = `${argv[0]} ${argv[4]}`;
    calls.push(argv.join(' '));
    return { exitCode: 1, stdout: '', stderr: '', ...answers[key] };
  };
  return { run, calls };
}

/** A directory playing /proc/net: ip_tables_names holds the legacy tables of the namespace. */
let procNet: string;
beforeEach(() => {
  procNet = mkdtempSync(join(tmpdir(), 'chainmedic-procnet-'));
  writeFileSync(join(procNet, 'ip_tables_names'), '');
  writeFileSync(join(procNet, 'ip6_tables_names'), '');
});
afterEach(() => rmSync(procNet, { recursive: true, force: true }));

const TABLE_MISSING: Partial<CommandResult> = {
  exitCode: 3,
  stderr:
    "iptables v1.8.9 (legacy): can't initialize iptables table `mangle': Table does not exist (do you need to insmod?)\n",
};
const LEGACY_EXIT_3 = {
  'iptables-legacy KUBE-IPTABLES-HINT': TABLE_MISSING,
  'iptables-legacy KUBE-KUBELET-CANARY': TABLE_MISSING,
};

describe('probeChains', () => {
  it('runs exactly azure-npm commands and stops at the first chain found', async () => {
    const { run, calls } = scripted({ 'iptables-nft KUBE-KUBELET-CANARY': { exitCode: 0 } });
    const result = await probeChains(run, { ipv6: false });
    expect(calls).toEqual([
      'iptables-nft -w 60 -L KUBE-IPTABLES-HINT -t mangle -n',
      'iptables-nft -w 60 -L KUBE-KUBELET-CANARY -t mangle -n',
    ]);
    expect(result).toMatchObject({ verdict: 'present', backend: 'nft', ipv6: null });
  });

  it('moves on to legacy after an nft timeout and reports error when legacy finds nothing', async () => {
    const { run, calls } = scripted({
      'iptables-nft KUBE-IPTABLES-HINT': { exitCode: null, failure: 'timeout' },
      'iptables-nft KUBE-KUBELET-CANARY': { exitCode: null, failure: 'timeout' },
    });
    const result = await probeChains(run, { ipv6: false });
    expect(calls).toHaveLength(4);
    expect(result.verdict).toBe('error');
    expect(result.checks.map((c) => c.failure)).toEqual(['timeout', 'timeout', null, null]);
  });

  it('passes the timeout to every command', async () => {
    const seen: (number | undefined)[] = [];
    const run: Runner = async (_argv, options) => {
      seen.push(options?.timeoutMs);
      return { exitCode: 1, stdout: '', stderr: '' };
    };
    await probeChains(run, { timeoutMs: 1234 });
    expect(seen).toEqual(Array(8).fill(1234));
  });

  it('reports IPv6 separately without changing the verdict', async () => {
    const { run } = scripted({ 'ip6tables-nft KUBE-IPTABLES-HINT': { exitCode: 0 } });
    const result = await probeChains(run);
    expect(result.verdict).toBe('missing');
    expect(result.ipv6).toMatchObject({ verdict: 'present', backend: 'nft' });
  });

  it('keeps the end of long stderr, where iptables puts its error', async () => {
    const long = `# Warning: ${'x'.repeat(300)}\niptables: No chain/target/match by that name.`;
    const { run } = scripted({ 'iptables-nft KUBE-IPTABLES-HINT': { exitCode: 1, stderr: long } });
    const result = await probeChains(run, { ipv6: false });
    const stderr = result.checks[0]?.stderr ?? '';
    expect(stderr.endsWith('No chain/target/match by that name.')).toBe(true);
    expect(stderr.length).toBeLessThanOrEqual(121);
  });
});

describe('probeChains: iptables-legacy exit 3 and the legacy tables of the namespace', () => {
  it('counts exit 3 as not found where no legacy mangle table exists (missing, as azure-npm sees it)', async () => {
    writeFileSync(join(procNet, 'ip_tables_names'), 'filter\n');
    const { run } = scripted(LEGACY_EXIT_3);
    const result = await probeChains(run, { ipv6: false, procNet });
    expect(result).toMatchObject({ verdict: 'missing', azureNpmWouldFind: 'none', legacyTables: ['filter'] });
    expect(result.checks.map((c) => c.failure)).toEqual([null, null, null, null]);
  });

  it('keeps exit 3 as could-not-check where the legacy mangle table exists', async () => {
    writeFileSync(join(procNet, 'ip_tables_names'), 'filter\nmangle\n');
    const { run } = scripted(LEGACY_EXIT_3);
    const result = await probeChains(run, { ipv6: false, procNet });
    expect(result).toMatchObject({
      verdict: 'error',
      azureNpmWouldFind: 'none',
      legacyTables: ['filter', 'mangle'],
    });
    expect(result.checks.map((c) => c.failure)).toEqual([
      null,
      null,
      'unexpected-exit-status',
      'unexpected-exit-status',
    ]);
  });

  it('keeps exit 3 as could-not-check when the legacy tables cannot be read', async () => {
    const { run } = scripted(LEGACY_EXIT_3);
    const result = await probeChains(run, { ipv6: false, procNet: join(procNet, 'no-such-dir') });
    expect(result).toMatchObject({ verdict: 'error', legacyTables: null });
  });

  it('reads the legacy tables before any command: a legacy listing may create the table it lists', async () => {
    // As the kernel does where it can: listing a legacy table instantiates it in the namespace.
    const { run } = scripted(LEGACY_EXIT_3, (argv) => {
      if (argv[0] === 'iptables-legacy') appendFileSync(join(procNet, 'ip_tables_names'), 'mangle\n');
    });
    const result = await probeChains(run, { ipv6: false, procNet });
    expect(result).toMatchObject({ verdict: 'missing', legacyTables: [] });
  });

  it('applies the same rule to ip6tables-legacy with ip6_tables_names', async () => {
    writeFileSync(join(procNet, 'ip_tables_names'), 'mangle\n');
    const { run } = scripted({
      'ip6tables-legacy KUBE-IPTABLES-HINT': TABLE_MISSING,
      'ip6tables-legacy KUBE-KUBELET-CANARY': TABLE_MISSING,
    });
    const result = await probeChains(run, { procNet });
    expect(result.verdict).toBe('missing');
    expect(result.ipv6).toMatchObject({ verdict: 'missing', legacyTables: [] });
  });
});

describe('probeChains: versions', () => {
  const version = (stdout: string): Partial<CommandResult> => ({ exitCode: 0, stdout });

  it('records none without a host runner', async () => {
    const { run, calls } = scripted({});
    const result = await probeChains(run, { ipv6: false, procNet });
    expect(result.versions).toBeNull();
    expect(calls.some((c) => c.endsWith('--version'))).toBe(false);
  });

  it('asks the container after the listings and the host through its own runner', async () => {
    const container = scripted({
      'iptables-nft undefined': version('iptables v1.8.9 (nf_tables)\n'),
      'iptables-legacy undefined': version('iptables v1.8.9 (legacy)\n'),
    });
    const host = scripted({ 'iptables undefined': version('iptables v1.8.10 (nf_tables)\n') });
    const result = await probeChains(container.run, { ipv6: false, procNet, host: host.run });
    expect(container.calls.slice(-2)).toEqual(['iptables-nft --version', 'iptables-legacy --version']);
    expect(host.calls).toEqual(['iptables --version', 'iptables-nft --version', 'iptables-legacy --version']);
    expect(result.versions?.mismatch).toBe(true);
    // The versions change nothing else.
    expect(result).toMatchObject({ verdict: 'missing', azureNpmWouldFind: 'none' });
  });
});
