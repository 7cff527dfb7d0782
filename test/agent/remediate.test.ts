import {
  HOST_IPTABLES_BINARIES,
  iptablesVersion,
  isActiveUnit,
  restartUnit,
  showUnitStart,
  unitJournalInitLines,
} from '../../src/agent/host-commands.js';
import { outcomeAfterRestart, remediate, type RemediateDeps } from '../../src/agent/remediate.js';
import { agentResultSchema, type ProbeResult } from '../../src/agent/result.js';
import { describeVersionMismatch } from '../../src/agent/versions.js';
import { processRunner, type CommandResult, type Runner } from '../../src/agent/runner.js';
import { NetnsSet, mustRunIn } from '../kit/netns.js';

/**
 * remediate() in-process, as the simulated cluster runs it: probes on real iptables in a
 * network namespace, host commands answered by a scripted host, and a fake clock, so the
 * polling can be checked without waiting.
 */

const namespaces = new NetnsSet('remfn');
afterEach(() => namespaces.removeAll());
afterAll(() => namespaces.removeAll());

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });

interface HostScript {
  /** Called on `systemctl restart`; may change the namespace. */
  onRestart?: () => CommandResult;
  /** is-active answers in turn (the last repeats). */
  active?: boolean[];
  journal?: CommandResult;
  /** `<binary> --version` answers on the host (default: every binary missing). */
  versions?: Partial<Record<string, CommandResult>>;
}

const MISSING: CommandResult = { exitCode: null, stdout: '', stderr: 'ENOENT', failure: 'not-found' };

function scriptedHost(script: HostScript): { run: Runner; calls: string[][] } {
  const calls: string[][] = [];
  let activeIndex = 0;
  const run: Runner = async (argv) => {
    calls.push([...argv]);
    const [tool, verb] = argv;
    if (tool === 'journalctl') return script.journal ?? ok('-- No entries --\n');
    if (verb === '--version') return script.versions?.[tool ?? ''] ?? MISSING;
    if (verb === 'restart') return script.onRestart ? script.onRestart() : ok();
    if (verb === 'is-active') {
      const answers = script.active ?? [true];
      const active = answers[Math.min(activeIndex++, answers.length - 1)];
      return active ? ok('active\n') : { exitCode: 3, stdout: 'activating\n', stderr: '' };
    }
    if (verb === 'show') return ok('ActiveState=active\nActiveEnterTimestamp=Tue 2026-11-24 19:35:44 UTC\n');
    return { exitCode: 1, stdout: '', stderr: 'unexpected' };
  };
  return { run, calls };
}

function fakeClock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

function depsFor(ns: string, host: Runner, extra: Partial<RemediateDeps> = {}): RemediateDeps {
  const clock = fakeClock();
  return {
    probeRunner: processRunner(['/usr/sbin/ip', 'netns', 'exec', ns]),
    hostRunner: host,
    unit: 'kubelet.service',
    waitSeconds: 10,
    pollIntervalMs: 2000,
    now: clock.now,
    sleep: clock.sleep,
    ...extra,
  };
}

const createChains = (ns: string) => () => {
  mustRunIn(ns, ['iptables-nft', '-t', 'mangle', '-N', 'KUBE-IPTABLES-HINT']);
  mustRunIn(ns, ['iptables-nft', '-t', 'mangle', '-N', 'KUBE-KUBELET-CANARY']);
  return ok();
};

describe('remediate (in-process, real iptables)', () => {
  it('runs exactly these host commands, in order: versions, journal, unit start times, restart, is-active', async () => {
    const ns = namespaces.create();
    const host = scriptedHost({ onRestart: createChains(ns) });

    const result = await remediate(depsFor(ns, host.run));

    expect(agentResultSchema.parse(result).outcome).toBe('Restarted');
    expect(host.calls).toEqual([
      ...HOST_IPTABLES_BINARIES.map(iptablesVersion),
      unitJournalInitLines('kubelet.service'),
      showUnitStart('kubelet.service'),
      showUnitStart('iptables.service'),
      restartUnit('kubelet.service'),
      isActiveUnit('kubelet.service'),
    ]);
    expect(host.calls.slice(0, 4)).toEqual([
      ['iptables', '--version'],
      ['iptables-nft', '--version'],
      ['iptables-legacy', '--version'],
      [
        'journalctl',
        '-b',
        '-u',
        'kubelet.service',
        '--no-pager',
        '-o',
        'short-iso',
        '--reverse',
        '-n',
        '200',
        '--grep',
        'Failed to initialize iptables rules|Initialized iptables rules',
      ],
    ]);
    expect(host.calls[6]).toEqual(['systemctl', 'restart', 'kubelet.service']);
  });

  it('waits for kubelet to become active, polling at the interval', async () => {
    const ns = namespaces.create();
    const clock = fakeClock();
    let restarted = false;
    const host = scriptedHost({
      onRestart: () => {
        restarted = true;
        return ok();
      },
      active: [false, false, true],
    });
    // The chains appear only once kubelet is active, as with a real kubelet.
    const probeRunner: Runner = async (argv, options) => {
      if (restarted && host.calls.filter((c) => c[1] === 'is-active').length === 3) {
        restarted = false;
        createChains(ns)();
      }
      return processRunner(['/usr/sbin/ip', 'netns', 'exec', ns])(argv, options);
    };

    const result = await remediate({
      ...depsFor(ns, host.run),
      probeRunner,
      now: clock.now,
      sleep: clock.sleep,
    });

    expect(result.outcome).toBe('Restarted');
    expect(clock.sleeps).toEqual([2000, 2000]);
    expect(result.durationMs).toBe(4000);
  });

  it('gives up after --wait-seconds even if the clock never moves', async () => {
    const ns = namespaces.create();
    const host = scriptedHost({});
    const sleeps: number[] = [];

    const result = await remediate(
      depsFor(ns, host.run, { waitSeconds: 6, now: () => 0, sleep: async (ms) => void sleeps.push(ms) }),
    );

    expect(result.outcome).toBe('ChainsStillMissing');
    expect(host.calls.filter((c) => c[1] === 'restart')).toHaveLength(1);
    expect(sleeps).toEqual([2000, 2000, 2000]);
  });

  it('reports RestartFailed when kubelet never becomes active', async () => {
    const ns = namespaces.create();
    const host = scriptedHost({ active: [false] });

    const result = await remediate(depsFor(ns, host.run, { waitSeconds: 4 }));

    expect(result).toMatchObject({ outcome: 'RestartFailed', kubeletRestarted: true });
    expect(result.message).toContain('not active within 4s');
  });

  it('runs only the read-only version queries on the host when a chain is present', async () => {
    const ns = namespaces.create();
    mustRunIn(ns, ['iptables-nft', '-t', 'mangle', '-N', 'KUBE-KUBELET-CANARY']);
    const host = scriptedHost({});

    const result = await remediate(depsFor(ns, host.run));

    expect(result).toMatchObject({
      outcome: 'ChainsPresent',
      kubeletRestarted: false,
      after: null,
      cause: null,
    });
    expect(host.calls).toEqual(HOST_IPTABLES_BINARIES.map(iptablesVersion));
  });

  it('records the iptables versions in the container and on the host, and flags a difference', async () => {
    const ns = namespaces.create();
    const host = scriptedHost({
      onRestart: createChains(ns),
      versions: {
        iptables: ok('iptables v1.8.99 (nf_tables)\n'),
        'iptables-legacy': ok('iptables v1.8.99 (legacy)\n'),
      },
    });

    const result = await remediate(depsFor(ns, host.run));

    const versions = result.before.versions;
    expect(versions?.container).toEqual([
      {
        binary: 'iptables-nft',
        version: expect.stringMatching(/^1\.\d+\.\d+$/),
        mode: 'nf_tables',
        error: null,
      },
      {
        binary: 'iptables-legacy',
        version: expect.stringMatching(/^1\.\d+\.\d+$/),
        mode: 'legacy',
        error: null,
      },
    ]);
    expect(versions?.host).toEqual([
      { binary: 'iptables', version: '1.8.99', mode: 'nf_tables', error: null },
      { binary: 'iptables-nft', version: null, mode: null, error: 'binary-not-found' },
      { binary: 'iptables-legacy', version: '1.8.99', mode: 'legacy', error: null },
    ]);
    expect(versions?.mismatch).toBe(true);
    expect(describeVersionMismatch(versions!)).toMatch(
      /^container iptables-nft 1\.\S+ \(nf_tables\) vs host iptables 1\.8\.99 \(nf_tables\); container iptables-legacy 1\.\S+ \(legacy\) vs host iptables-legacy 1\.8\.99 \(legacy\)$/,
    );
    // Versions never change what is done, and only the first probe records them.
    expect(result.outcome).toBe('Restarted');
    expect(result.after?.versions).toBeNull();
  });

  it('records a host it cannot reach (nsenter refused) and carries on', async () => {
    const ns = namespaces.create();
    const refused: CommandResult = {
      exitCode: 1,
      stdout: '',
      stderr: 'nsenter: cannot open /proc/1/ns/ipc: Permission denied\n',
    };
    const host = scriptedHost({
      onRestart: createChains(ns),
      versions: { iptables: refused, 'iptables-nft': refused, 'iptables-legacy': refused },
    });

    const result = await remediate(depsFor(ns, host.run));

    expect(result.outcome).toBe('Restarted');
    expect(result.before.versions?.host.map((v) => v.error)).toEqual(
      Array(3).fill('exit status 1: nsenter: cannot open /proc/1/ns/ipc: Permission denied'),
    );
    expect(result.before.versions?.mismatch).toBe(false);
  });

  it('carries on without evidence when the journal cannot be read', async () => {
    const ns = namespaces.create();
    const host = scriptedHost({
      onRestart: createChains(ns),
      journal: { exitCode: null, stdout: '', stderr: 'spawn journalctl ENOENT', failure: 'not-found' },
    });

    const result = await remediate(depsFor(ns, host.run));

    expect(result.outcome).toBe('Restarted');
    expect(result.cause).toBe('Unknown');
    expect(result.evidence?.errors).toEqual(['journalctl -u kubelet.service: not-found']);
  });

  it('refuses an invalid unit name before running anything', async () => {
    const ns = namespaces.create();
    const host = scriptedHost({});
    await expect(remediate(depsFor(ns, host.run, { unit: 'kubelet; reboot' }))).rejects.toThrow(/invalid/);
    expect(host.calls).toEqual([]);
  });
});

describe('outcomeAfterRestart', () => {
  const probe = (verdict: ProbeResult['verdict']): ProbeResult => ({
    schemaVersion: 1,
    verdict,
    backend: verdict === 'present' ? 'nft' : null,
    checks: [],
    ipv6: null,
  });

  it.each([
    ['present', true, 'Restarted'],
    ['present', false, 'Restarted'],
    ['missing', true, 'ChainsStillMissing'],
    ['missing', false, 'RestartFailed'],
    ['error', true, 'ProbeError'],
    ['error', false, 'ProbeError'],
  ] as const)('%s with unit active=%s is %s', (verdict, active, outcome) => {
    expect(outcomeAfterRestart(probe(verdict), active)).toBe(outcome);
  });
});
