import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeResultSchema, type ProbeResult } from '../../src/agent/result.js';
import { NetnsSet, mustRunIn } from '../kit/netns.js';
import {
  NODE_ONLY_PATH,
  azureNpmOracle,
  makeTempDir,
  requireBuiltCli,
  runCliIn,
  writeExecutable,
  type TempDir,
} from './support.js';

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
    expect(result.azureNpmWouldFind).toBe(oracle ?? 'none');
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
    // azure-npm's runner drops an error that has no exit status: it would "find" nft here.
    expect(result.azureNpmWouldFind).toBe('nft');
    expect(azureNpmOracle(ns, NODE_ONLY_PATH)).toBe('nft');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('iptables-nft: binary-not-found');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

/**
 * On a node where the kernel has no legacy iptables (nft-only), iptables-legacy exits 3 with
 * "Table does not exist (do you need to insmod?)". This machine's kernel has the legacy
 * tables, so a fake iptables-legacy first on PATH plays that; the namespace's real
 * /proc/net/ip_tables_names says whether the legacy mangle table exists.
 */
describe('agent probe with an iptables-legacy that exits 3', () => {
  let fake: TempDir;
  beforeEach(() => {
    fake = makeTempDir('chainmedic-legacy3-');
    for (const [binary, name] of [
      ['iptables-legacy', 'iptables'],
      ['ip6tables-legacy', 'ip6tables'],
    ] as const) {
      writeExecutable(
        join(fake.path, binary),
        `#!/bin/sh
if [ "$1" = --version ]; then echo '${name} v1.8.9 (legacy)'; exit 0; fi
echo "${name} v1.8.9 (legacy): can't initialize ${name} table \\\`mangle': Table does not exist (do you need to insmod?)" >&2
echo 'Perhaps ${name} or your kernel needs to be upgraded.' >&2
exit 3
`,
      );
    }
  });
  afterEach(() => fake.remove());
  const fakePath = () => `${fake.path}:${process.env.PATH ?? ''}`;

  interface Exit3Case {
    name: string;
    setup: Setup;
    legacyTables: string[];
    verdict: ProbeResult['verdict'];
    exitStatus: number;
    azureNpm: ProbeResult['azureNpmWouldFind'];
  }
  const exit3Cases: Exit3Case[] = [
    {
      name: 'no legacy table in the namespace: not found, so missing (what azure-npm crash-loops on)',
      setup: [],
      legacyTables: [],
      verdict: 'missing',
      exitStatus: 1,
      azureNpm: 'none',
    },
    {
      name: 'only the legacy filter table exists: mangle is still absent, so missing',
      setup: [newChain('iptables-legacy', 'SOMETHING-ELSE', 'filter')],
      legacyTables: ['filter'],
      verdict: 'missing',
      exitStatus: 1,
      azureNpm: 'none',
    },
    {
      name: 'the legacy mangle table exists: exit 3 is unexplained, so could not check',
      setup: [newChain('iptables-legacy', 'SOMETHING-ELSE')],
      legacyTables: ['mangle'],
      verdict: 'error',
      exitStatus: 2,
      azureNpm: 'none',
    },
  ];

  it.each(exit3Cases)('$name', ({ setup, legacyTables, verdict, exitStatus, azureNpm }) => {
    const ns = namespaces.create();
    for (const argv of setup) mustRunIn(ns, argv);

    const run = runCliIn(ns, ['agent', 'probe', '--json', '--host', 'local'], fakePath());
    const result = probeResultSchema.parse(JSON.parse(run.stdout));

    expect({ verdict: result.verdict, exitStatus: run.status, azureNpm: result.azureNpmWouldFind }).toEqual({
      verdict,
      exitStatus,
      azureNpm,
    });
    expect(azureNpmOracle(ns, fakePath()) ?? 'none').toBe(azureNpm);
    expect(result.legacyTables).toEqual(legacyTables);
    expect(result.checks.map((c) => `${c.binary} ${c.chain} ${c.exitCode} ${c.failure}`)).toEqual([
      'iptables-nft KUBE-IPTABLES-HINT 1 null',
      'iptables-nft KUBE-KUBELET-CANARY 1 null',
      `iptables-legacy KUBE-IPTABLES-HINT 3 ${verdict === 'error' ? 'unexpected-exit-status' : 'null'}`,
      `iptables-legacy KUBE-KUBELET-CANARY 3 ${verdict === 'error' ? 'unexpected-exit-status' : 'null'}`,
    ]);
    expect(result.checks[2]?.stderr).toContain('Table does not exist (do you need to insmod?)');
    if (verdict === 'error') {
      expect(run.stderr).toBe(
        'chainmedic: could not check the chains (iptables-legacy: unexpected-exit-status)\n',
      );
    } else {
      expect(run.stderr).toBe('');
    }
  });

  it('finds the chain in nft without ever running iptables-legacy', () => {
    const ns = namespaces.create();
    mustRunIn(ns, newChain('iptables-nft', 'KUBE-KUBELET-CANARY'));

    const run = runCliIn(ns, ['agent', 'probe', '--json', '--host', 'local'], fakePath());
    const result = probeResultSchema.parse(JSON.parse(run.stdout));

    expect(run.status).toBe(0);
    expect(result).toMatchObject({ verdict: 'present', backend: 'nft', azureNpmWouldFind: 'nft' });
    expect(result.checks.map((c) => c.binary)).toEqual(['iptables-nft', 'iptables-nft']);
  });

  it('explains the exit-3 case in the readable report', () => {
    const ns = namespaces.create();
    const run = runCliIn(ns, ['agent', 'probe', '--host', 'local'], fakePath());
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      'iptables-legacy -w 60 -L KUBE-IPTABLES-HINT -t mangle -n  ->  exit 3, not found (no legacy mangle table in this network namespace)',
    );
    expect(run.stdout).toContain('azure-npm would find: nothing');
  });
});

describe('agent probe records the iptables versions in the container and on the host', () => {
  let fake: TempDir;
  beforeEach(() => (fake = makeTempDir('chainmedic-versions-')));
  afterEach(() => fake.remove());

  it('flags a host iptables whose version differs from the container binary of the same mode', () => {
    const ns = namespaces.create();
    // Asked only on the host (the probe runs iptables-nft and iptables-legacy, never plain iptables).
    writeExecutable(join(fake.path, 'iptables'), "#!/bin/sh\necho 'iptables v1.8.99 (nf_tables)'\n");
    const path = `${fake.path}:${process.env.PATH ?? ''}`;

    const json = probeResultSchema.parse(
      JSON.parse(runCliIn(ns, ['agent', 'probe', '--json', '--host', 'local'], path).stdout),
    );
    const human = runCliIn(ns, ['agent', 'probe', '--host', 'local'], path);

    expect(json.versions?.mismatch).toBe(true);
    expect(json.versions?.host[0]).toEqual({
      binary: 'iptables',
      version: '1.8.99',
      mode: 'nf_tables',
      error: null,
    });
    expect(json.verdict).toBe('missing');
    expect(human.stdout).toMatch(
      /^version mismatch: container iptables-nft 1\.\S+ \(nf_tables\) vs host iptables 1\.8\.99 \(nf_tables\)$/m,
    );
  });

  it('finds no mismatch when the host runs the same binaries', () => {
    const ns = namespaces.create();

    const result = probeResultSchema.parse(
      JSON.parse(runCliIn(ns, ['agent', 'probe', '--json', '--host', 'local']).stdout),
    );

    expect(result.versions?.mismatch).toBe(false);
    expect(result.versions?.container.map((v) => v.error)).toEqual([null, null]);
    expect(result.versions?.host.map((v) => v.error)).toEqual([null, null, null]);
    expect(result.versions?.host.slice(1)).toEqual(result.versions?.container);
  });
});
