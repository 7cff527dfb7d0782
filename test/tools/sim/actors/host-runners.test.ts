import { probeChains } from '../../../../src/agent/probe.js';
import { remediate } from '../../../../src/agent/remediate.js';
import { agentResultSchema } from '../../../../src/agent/result.js';
import { serializeResult } from '../../../../src/agent/serialize.js';
import { createClock } from '../../../../tools/sim/actors/clock.js';
import { SimHost } from '../../../../tools/sim/actors/host.js';
import { LEGACY_TABLES_WARNING, NO_CHAIN_MESSAGE } from '../../../../tools/sim/actors/iptables-command.js';
import { simHostRunner, simProbeRunner } from '../../../../tools/sim/actors/node-runners.js';
import { eventually } from '../../../kit/eventually.js';

const BOOT = Date.parse('2026-11-24T18:00:00Z');
const newHost = () => new SimHost('aks-nodepool1-12345678-vmss000000', { bootWallMs: BOOT, pid: 2825 });

describe('simulated node runners', () => {
  const clock = createClock({ timeScale: 0.001 });
  afterAll(() => clock.stop());

  it('answers iptables listings from the node state, with the legacy-tables warning on nft', async () => {
    const host = newHost();
    const probe = simProbeRunner(host);
    const found = await probe(['iptables-nft', '-w', '60', '-L', 'KUBE-IPTABLES-HINT', '-t', 'mangle', '-n']);
    expect(found.exitCode).toBe(0);
    expect(found.stdout).toContain('Chain KUBE-IPTABLES-HINT');
    expect(found.stderr).toContain(LEGACY_TABLES_WARNING);
    const legacy = await probe([
      'iptables-legacy',
      '-w',
      '60',
      '-L',
      'KUBE-IPTABLES-HINT',
      '-t',
      'mangle',
      '-n',
    ]);
    expect(legacy).toEqual({ exitCode: 1, stdout: '', stderr: `${NO_CHAIN_MESSAGE}\n` });
    host.breakByInitRace(Date.now());
    const missing = await probe([
      'iptables-nft',
      '-w',
      '60',
      '-L',
      'KUBE-KUBELET-CANARY',
      '-t',
      'mangle',
      '-n',
    ]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(`${LEGACY_TABLES_WARNING}\n${NO_CHAIN_MESSAGE}\n`);
    expect((await probe(['iptables', '-L'])).failure).toBe('not-found');
    expect((await probe(['systemctl', 'restart', 'kubelet.service'])).failure).toBe('not-found');
  });

  it('interprets systemctl and journalctl on the host, and nothing else', async () => {
    const host = newHost();
    const run = simHostRunner(host, clock);
    expect(await run(['systemctl', 'is-active', 'kubelet.service'])).toMatchObject({
      exitCode: 0,
      stdout: 'active\n',
    });
    const show = await run([
      'systemctl',
      'show',
      'kubelet.service',
      '--property=ActiveState,ActiveEnterTimestamp',
    ]);
    expect(show.stdout).toBe('ActiveState=active\nActiveEnterTimestamp=Tue 2026-11-24 18:00:09 UTC\n');
    const journal = await run([
      'journalctl',
      '-u',
      'kubelet.service',
      '-b',
      '--no-pager',
      '-o',
      'short-iso',
      '-n',
      '2000',
    ]);
    expect(journal.stdout).toMatch(
      /^2026-11-24T18:00:10\+0000 aks-nodepool1-12345678-vmss000000 kubelet\[2825\]: I1124 18:00:10\.250\d{3} +2825 kubelet_network_linux\.go:50\] "Initialized iptables rules\." protocol="IPv4"$/m,
    );
    expect((await run(['systemctl', 'restart', 'nope.service'])).exitCode).toBe(5);
    expect((await run(['reboot'])).failure).toBe('not-found');
    expect((await run(['journalctl', '-u', 'kubelet.service'])).failure).toBe('not-found');
    expect(host.kubeletRestarts).toBe(0);
  });

  it('a kubelet restart re-runs the init and brings the chains back; a second race does not', async () => {
    const host = newHost();
    host.breakByInitRace(Date.now());
    expect((await probeChains(simProbeRunner(host))).verdict).toBe('missing');
    host.failingInits = 1;
    await simHostRunner(host, clock)(['systemctl', 'restart', 'kubelet.service']);
    expect(host.kubeletRestarts).toBe(1);
    expect((await probeChains(simProbeRunner(host))).verdict).toBe('missing');
    await simHostRunner(host, clock)(['systemctl', 'restart', 'kubelet.service']);
    expect(host.kubeletRestarts).toBe(2);
    expect(await probeChains(simProbeRunner(host))).toMatchObject({ verdict: 'present', backend: 'nft' });
    const journal = host.journalFor('kubelet.service', 2000).join('\n');
    expect(journal).toContain(
      '"Failed to initialize iptables rules; some functionality may be missing." protocol="IPv4"',
    );
  });
});

describe('the real agent on a simulated node', () => {
  const clock = createClock({ timeScale: 0.001 });
  afterAll(() => clock.stop());
  const deps = (host: SimHost) => ({
    probeRunner: simProbeRunner(host),
    hostRunner: simHostRunner(host, clock),
    unit: 'kubelet.service',
    waitSeconds: 30,
    sleep: (ms: number) => clock.sleep(ms),
    now: () => clock.simNow(),
  });

  it('restarts kubelet on a race-broken node and names the cause', async () => {
    const host = newHost();
    host.breakByInitRace(Date.now());
    const result = await remediate(deps(host));
    const parsed = agentResultSchema.parse(JSON.parse(serializeResult(result)));
    expect(parsed.outcome).toBe('Restarted');
    expect(parsed.cause).toBe('KubeletInitRace');
    expect(host.kubeletRestarts).toBe(1);
    // The simulated node answers --version like a real one, in the container and on the host: no mismatch.
    expect(parsed.before.versions).toMatchObject({ mismatch: false });
    const read = [...(parsed.before.versions?.container ?? []), ...(parsed.before.versions?.host ?? [])];
    expect(read.map((v) => [v.binary, v.version, v.error])).toEqual([
      ['iptables-nft', '1.8.10', null],
      ['iptables-legacy', '1.8.10', null],
      ['iptables', '1.8.10', null],
      ['iptables-nft', '1.8.10', null],
      ['iptables-legacy', '1.8.10', null],
    ]);
  });

  it('reports ChainsPresent and never restarts kubelet on an npm-image-bug node', async () => {
    const host = newHost();
    host.breakByNpmImageBug();
    const result = await remediate(deps(host));
    expect(result.outcome).toBe('ChainsPresent');
    expect(result.before.backend).toBe('legacy');
    expect(host.kubeletRestarts).toBe(0);
  });

  it('reports ChainsStillMissing when kubelet keeps losing the race', async () => {
    const host = newHost();
    host.breakByInitRace(Date.now());
    host.failingInits = 5;
    const result = await remediate({ ...deps(host), waitSeconds: 5, pollIntervalMs: 1000 });
    expect(result.outcome).toBe('ChainsStillMissing');
    expect(host.kubeletRestarts).toBe(1);
  });
});

describe("kubelet's Monitor in the simulated cluster", () => {
  it('re-creates the chains a minute after `systemctl restart iptables` when its init had succeeded', async () => {
    const { startSimCluster } = await import('../../../../tools/sim/cluster.js');
    const cluster = await startSimCluster({ linuxNodes: 1, timeScale: 0.001 });
    try {
      const node = cluster.linuxNodeNames()[0]!;
      const hint = { backend: 'nft', family: 'ipv4', table: 'mangle', chain: 'KUBE-IPTABLES-HINT' } as const;
      expect(cluster.iptables(node).hasChain(hint)).toBe(true);
      expect((await cluster.runOnHost(node, ['systemctl', 'restart', 'iptables.service'])).exitCode).toBe(0);
      expect(cluster.iptables(node).hasChain(hint)).toBe(false);
      expect(cluster.kubeletRestarts(node)).toBe(0);
      await eventually(
        () => cluster.iptables(node).hasChain(hint),
        "kubelet's Monitor re-created the chains",
      );
    } finally {
      await cluster.stop();
    }
  });
});

describe('Job containers on a simulated node', () => {
  const clock = createClock({ timeScale: 0.001 });
  afterAll(() => clock.stop());

  it('runs `agent probe --json`; a failed container falls back to its log for the termination message', async () => {
    const { runJobContainer } = await import('../../../../tools/sim/actors/agent-executor.js');
    const { probeResultSchema } = await import('../../../../src/agent/result.js');
    const host = newHost();
    host.breakByInitRace(Date.now());
    const machine = {
      id: { name: host.name, os: 'linux' as const, pool: 'nodepool1', index: 0, internalIp: '10.224.0.4' },
      host,
      ready: true,
    };
    const container = {
      command: ['chainmedic'],
      args: ['agent', 'probe', '--json'],
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
    const exit = await runJobContainer(machine, container, clock);
    expect(exit.exitCode).toBe(1);
    expect(probeResultSchema.parse(JSON.parse(exit.message!)).verdict).toBe('missing');
    const usage = await runJobContainer(
      machine,
      { command: ['chainmedic', 'agent', 'remediate', '--kubelet-unit', 'kubelet; reboot'] },
      clock,
    );
    expect(usage.exitCode).toBe(2);
    expect(host.kubeletRestarts).toBe(0);
  });
});
