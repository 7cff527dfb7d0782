import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentResultSchema, type AgentResult } from '../../src/agent/result.js';
import { NetnsSet, mustRunIn } from '../kit/netns.js';
import { FakeHosts, type FakeHost } from './fake-host.js';
import { requireBuiltCli, runCliIn } from './support.js';

/**
 * `agent remediate --host local` end to end: the built CLI in a network namespace with real
 * iptables, and a fake `systemctl` (plus `journalctl`) first on PATH that plays kubelet.
 */

const namespaces = new NetnsSet('remed');
const hosts = new FakeHosts();
beforeAll(() => requireBuiltCli());
afterEach(() => {
  namespaces.removeAll();
  hosts.removeAll();
});
afterAll(() => namespaces.removeAll());

function remediateIn(ns: string, host: FakeHost, extra: string[] = []) {
  const terminationLog = join(host.dir, 'termination-log');
  const run = runCliIn(
    ns,
    ['agent', 'remediate', '--host', 'local', '--termination-log', terminationLog, ...extra],
    host.path,
  );
  const stdoutResult: AgentResult = agentResultSchema.parse(JSON.parse(run.stdout));
  const logged = readFileSync(terminationLog, 'utf8');
  expect(JSON.parse(logged)).toEqual(stdoutResult);
  expect(Buffer.byteLength(logged)).toBeLessThanOrEqual(4096);
  return { run, result: stdoutResult };
}

describe('agent remediate in a network namespace', () => {
  it('restarts kubelet when the chains are missing, and reports Restarted once they are back', () => {
    const ns = namespaces.create();
    const host = hosts.create('creates-chains');

    const { run, result } = remediateIn(ns, host);

    expect(run.status).toBe(0);
    expect(result.outcome).toBe('Restarted');
    expect(result.kubeletRestarted).toBe(true);
    expect(result.before.verdict).toBe('missing');
    expect(result.after).toMatchObject({ verdict: 'present', backend: 'nft' });
    expect(host.calls()).toContain('systemctl restart kubelet.service');
    // Evidence from the fake journal and unit times: failed init, iptables started 2 s after kubelet.
    expect(result.cause).toBe('KubeletInitRace');
    expect(result.evidence?.kubelet?.activeEnterTimestamp).toBe('2026-11-24T19:35:44.000Z');
    expect(result.evidence?.initLines.map((l) => `${l.kind} ${l.protocol} ${l.timestamp}`)).toContain(
      'failed IPv4 2026-11-24T19:35:45.000Z',
    );
    expect(result.evidence?.journalSource).toBe('grep');
    expect(host.calls().filter((c) => c.startsWith('journalctl'))).toEqual([
      'journalctl -b -u kubelet.service --no-pager -o short-iso --reverse -n 200 --grep Failed to initialize iptables rules|Initialized iptables rules',
    ]);
  });

  it('finds the same evidence where journalctl cannot --grep (the bounded scan)', () => {
    const ns = namespaces.create();
    const host = hosts.create('creates-chains', { kind: 'no-grep' });

    const { run, result } = remediateIn(ns, host);

    expect(run.status).toBe(0);
    expect(result.cause).toBe('KubeletInitRace');
    expect(result.evidence).toMatchObject({ journalSource: 'scan', errors: [] });
    expect(result.evidence?.initLines.map((l) => `${l.kind} ${l.protocol} ${l.timestamp}`)).toContain(
      'failed IPv4 2026-11-24T19:35:45.000Z',
    );
  });

  it('reports RestartFailed when systemctl restart fails', () => {
    const ns = namespaces.create();
    const host = hosts.create('fails');

    const { run, result } = remediateIn(ns, host);

    expect(run.status).toBe(4);
    expect(result.outcome).toBe('RestartFailed');
    expect(result.kubeletRestarted).toBe(false);
    expect(result.message).toContain('Job for kubelet.service failed');
    expect(host.calls()).not.toContain('systemctl is-active kubelet.service');
  });

  it('reports ChainsStillMissing when kubelet restarts but creates no chains within --wait-seconds', () => {
    const ns = namespaces.create();
    const host = hosts.create('creates-nothing');

    const { run, result } = remediateIn(ns, host, ['--wait-seconds', '1']);

    expect(run.status).toBe(3);
    expect(result.outcome).toBe('ChainsStillMissing');
    expect(result.kubeletRestarted).toBe(true);
    expect(result.after?.verdict).toBe('missing');
    expect(host.calls().filter((c) => c === 'systemctl restart kubelet.service')).toHaveLength(1);
    expect(host.calls()).toContain('systemctl is-active kubelet.service');
  });

  it('never restarts kubelet when a chain is present (ChainsPresent)', () => {
    const ns = namespaces.create();
    mustRunIn(ns, ['iptables-legacy', '-t', 'mangle', '-N', 'KUBE-KUBELET-CANARY']);
    const host = hosts.create('creates-chains');

    const { run, result } = remediateIn(ns, host);

    expect(run.status).toBe(0);
    expect(result.outcome).toBe('ChainsPresent');
    expect(result.before).toMatchObject({ verdict: 'present', backend: 'legacy' });
    expect(result.kubeletRestarted).toBe(false);
    expect(host.calls().filter((c) => c.startsWith('systemctl restart'))).toEqual([]);
  });

  it('restarts the unit named by --kubelet-unit', () => {
    const ns = namespaces.create();
    const host = hosts.create('creates-chains');

    const { result } = remediateIn(ns, host, ['--kubelet-unit', 'kubelet@node-1.service']);

    expect(result.outcome).toBe('Restarted');
    expect(result.unit).toBe('kubelet@node-1.service');
    expect(host.calls()).toContain('systemctl restart kubelet@node-1.service');
  });
});
