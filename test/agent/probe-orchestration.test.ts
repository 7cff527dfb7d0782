import { probeChains } from '../../src/agent/probe.js';
import type { CommandResult, Runner } from '../../src/agent/runner.js';

/**
 * The order and stopping rule of probeChains over a scripted Runner. Real iptables is covered
 * in probe-netns.test.ts; this covers what cannot be staged there safely: timeouts and
 * commands that cannot start (the xtables lock is shared with the whole machine).
 */

function scripted(answers: Record<string, Partial<CommandResult>>): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = async (argv) => {
    const key = `${argv[0]} ${argv[4]}`;
    calls.push(argv.join(' '));
    return { exitCode: 1, stdout: '', stderr: '', ...answers[key] };
  };
  return { run, calls };
}

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
