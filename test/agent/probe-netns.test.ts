import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeResultSchema, type ProbeResult } from '../../src/agent/result.js';
import { NetnsSet, mustRunIn } from '../helpers/netns.js';
import { NODE_ONLY_PATH, azureNpmOracle, makeTempDir, requireBuiltCli, runCliIn } from './support.js';

/** `agent probe --json` of the built CLI against real iptables, one fresh network namespace per case. */

const namespaces = new NetnsSet('probe');
afterEach(() => namespaces.removeAll());
afterAll(() => namespaces.removeAll());
beforeAll(() => requireBuiltCli());

type Setup = string[][];
const newChain = (binary: string, chain: string, table = 'mangle') => [binary, '-t', table, '-N', chain];

interface Case {
  name: string;
  setup: Setup;
  verdict: ProbeResult['verdict'];
  backend: ProbeResult['backend'];
  exitStatus: number;
  ipv6Verdict?: ProbeResult['verdict'];
}

const cases: Case[] = [
  { name: 'no chains', setup: [], verdict: 'missing', backend: null, exitStatus: 1 },
  {
    name: 'hint only (nft)',
    setup: [newChain('iptables-nft', 'KUBE-IPTABLES-HINT')],
    verdict: 'present',
    backend: 'nft',
    exitStatus: 0,
  },
  {
    name: 'canary only (nft)',
    setup: [newChain('iptables-nft', 'KUBE-KUBELET-CANARY')],
    verdict: 'present',
    backend: 'nft',
    exitStatus: 0,
  },
  {
    name: 'hint only (legacy)',
    setup: [newChain('iptables-legacy', 'KUBE-IPTABLES-HINT')],
    verdict: 'present',
    backend: 'legacy',
    exitStatus: 0,
  },
  {
    name: 'canary only (legacy)',
    setup: [newChain('iptables-legacy', 'KUBE-KUBELET-CANARY')],
    verdict: 'present',
    backend: 'legacy',
    exitStatus: 0,
  },
  {
    name: 'chains in both backends (nft wins)',
    setup: [
      newChain('iptables-legacy', 'KUBE-IPTABLES-HINT'),
      newChain('iptables-legacy', 'KUBE-KUBELET-CANARY'),
      newChain('iptables-nft', 'KUBE-KUBELET-CANARY'),
    ],
    verdict: 'present',
    backend: 'nft',
    exitStatus: 0,
  },
  {
    name: 'chains only in ip6tables (IPv6 never changes the verdict)',
    setup: [
      newChain('ip6tables-nft', 'KUBE-IPTABLES-HINT'),
      newChain('ip6tables-nft', 'KUBE-KUBELET-CANARY'),
    ],
    verdict: 'missing',
    backend: null,
    exitStatus: 1,
    ipv6Verdict: 'present',
  },
  {
    name: 'a legacy table present, nft prints its warning, chains in nft',
    setup: [
      newChain('iptables-legacy', 'SOMETHING-ELSE', 'filter'),
      newChain('iptables-nft', 'KUBE-IPTABLES-HINT'),
    ],
    verdict: 'present',
    backend: 'nft',
    exitStatus: 0,
  },
  {
    name: 'a legacy table present, nft prints its warning, no chains',
    setup: [newChain('iptables-legacy', 'SOMETHING-ELSE', 'filter')],
    verdict: 'missing',
    backend: null,
    exitStatus: 1,
  },
];

describe('agent probe in a network namespace', () => {
  it.each(cases)('$name', ({ setup, verdict, backend, exitStatus, ipv6Verdict }) => {
    const ns = namespaces.create();
    for (const argv of setup) mustRunIn(ns, argv);

    const run = runCliIn(ns, ['agent', 'probe', '--json']);
    const result = probeResultSchema.parse(JSON.parse(run.stdout));

    expect({ verdict: result.verdict, backend: result.backend, exitStatus: run.status }).toEqual({
      verdict,
      backend,
      exitStatus,
    });
    const oracle = azureNpmOracle(ns);
    expect(result.backend).toBe(oracle);
    expect(result.verdict).toBe(oracle === null ? 'missing' : 'present');
    if (ipv6Verdict) expect(result.ipv6?.verdict).toBe(ipv6Verdict);
    expect(run.stderr).toBe('');
  });

  it('decides by exit status while nft warns about legacy tables', () => {
    const ns = namespaces.create();
    mustRunIn(ns, newChain('iptables-legacy', 'SOMETHING-ELSE', 'filter'));
    mustRunIn(ns, newChain('iptables-nft', 'KUBE-KUBELET-CANARY'));

    const result = probeResultSchema.parse(JSON.parse(runCliIn(ns, ['agent', 'probe', '--json']).stdout));

    // The warning really is printed (so the case is exercised), and the exit-0 canary still counts as found.
    const [hint, canary] = result.checks;
    expect(hint).toMatchObject({
      binary: 'iptables-nft',
      chain: 'KUBE-IPTABLES-HINT',
      exitCode: 1,
      found: false,
    });
    expect(canary).toMatchObject({
      binary: 'iptables-nft',
      chain: 'KUBE-KUBELET-CANARY',
      exitCode: 0,
      found: true,
    });
    expect(canary?.stderr).toContain('iptables-legacy tables present');
    expect(result.checks).toHaveLength(2);
  });

  it('runs every check azure-npm runs when nothing is found, in its order', () => {
    const ns = namespaces.create();
    const result = probeResultSchema.parse(JSON.parse(runCliIn(ns, ['agent', 'probe', '--json']).stdout));
    expect(result.checks.map((c) => `${c.binary} ${c.chain} ${c.table} ${c.exitCode}`)).toEqual([
      'iptables-nft KUBE-IPTABLES-HINT mangle 1',
      'iptables-nft KUBE-KUBELET-CANARY mangle 1',
      'iptables-legacy KUBE-IPTABLES-HINT mangle 1',
      'iptables-legacy KUBE-KUBELET-CANARY mangle 1',
    ]);
  });

  it('prints a readable report without --json', () => {
    const ns = namespaces.create();
    mustRunIn(ns, newChain('iptables-legacy', 'KUBE-IPTABLES-HINT'));
    const run = runCliIn(ns, ['agent', 'probe']);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('chains: present (backend legacy)');
    expect(run.stdout).toContain(
      'iptables-legacy -w 60 -L KUBE-IPTABLES-HINT -t mangle -n  ->  exit 0, found',
    );
  });

  it('also writes the JSON result to --termination-log', () => {
    const ns = namespaces.create();
    mustRunIn(ns, newChain('iptables-nft', 'KUBE-KUBELET-CANARY'));
    const temp = makeTempDir('chainmedic-probe-');
    try {
      const log = join(temp.path, 'termination-log');
      const run = runCliIn(ns, ['agent', 'probe', '--termination-log', log]);
      expect(run.status).toBe(0);
      expect(probeResultSchema.parse(JSON.parse(readFileSync(log, 'utf8')))).toMatchObject({
        verdict: 'present',
        backend: 'nft',
      });
    } finally {
      temp.remove();
    }
  });

  it('says error, never missing, when the iptables binaries are not on PATH', () => {
    const ns = namespaces.create();
    const run = runCliIn(ns, ['agent', 'probe', '--json'], NODE_ONLY_PATH);
    const result = probeResultSchema.parse(JSON.parse(run.stdout));
    expect(run.status).toBe(2);
    expect(result.verdict).toBe('error');
    expect(result.checks.every((c) => c.failure === 'binary-not-found')).toBe(true);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('iptables-nft: binary-not-found');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
