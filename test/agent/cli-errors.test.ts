import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { agentResultSchema } from '../../src/agent/result.js';
import { NetnsSet, mustRunIn } from '../kit/netns.js';
import { FakeHosts } from './fake-host.js';
import { NODE_ONLY_PATH, requireBuiltCli, runCliIn } from './support.js';

/** Bad input to the built CLI: a clear one-line message, a documented exit status, never a stack trace. */

const namespaces = new NetnsSet('clierr');
const hosts = new FakeHosts();
beforeAll(() => requireBuiltCli());
afterEach(() => {
  namespaces.removeAll();
  hosts.removeAll();
});
afterAll(() => namespaces.removeAll());

const STACK_FRAME = /^\s+at /m;
const EXIT_USAGE = 2;

describe('agent CLI usage errors (exit 2, nothing run)', () => {
  it.each([
    ['an unknown probe flag', ['agent', 'probe', '--bogus'], "unknown option '--bogus'"],
    [
      'an unknown remediate flag',
      ['agent', 'remediate', '--restart-everything'],
      "unknown option '--restart-everything'",
    ],
    [
      'a unit name with shell syntax',
      ['agent', 'remediate', '--kubelet-unit', 'kubelet; reboot'],
      'is invalid',
    ],
    [
      'a unit name that looks like an option',
      ['agent', 'remediate', '--kubelet-unit', '--now.service'],
      'is invalid',
    ],
    ['a unit that is not a service', ['agent', 'remediate', '--kubelet-unit', 'kubelet'], 'is invalid'],
    ['a wait that is not a number', ['agent', 'remediate', '--wait-seconds', 'soon'], 'is invalid'],
    ['a zero wait', ['agent', 'remediate', '--wait-seconds', '0'], 'is invalid'],
    ['an unknown host mode', ['agent', 'remediate', '--host', 'ssh'], 'is invalid'],
  ])('%s', (_name, args, message) => {
    const ns = namespaces.create();
    const host = hosts.create('creates-chains');

    const run = runCliIn(ns, args, host.path);

    expect(run.status).toBe(EXIT_USAGE);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toContain(message);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(host.calls()).toEqual([]);
  });
});

describe('agent remediate on a broken host', () => {
  it('reports ProbeError (exit 5) and restarts nothing when iptables is not on PATH', () => {
    const ns = namespaces.create();
    const host = hosts.create('creates-chains');

    const run = runCliIn(ns, ['agent', 'remediate', '--host', 'local'], `${host.dir}:${NODE_ONLY_PATH}`);
    const result = agentResultSchema.parse(JSON.parse(run.stdout));

    expect(run.status).toBe(5);
    expect(result.outcome).toBe('ProbeError');
    expect(result.before.verdict).toBe('error');
    expect(result.kubeletRestarted).toBe(false);
    expect(host.calls().filter((c) => c.startsWith('systemctl restart'))).toEqual([]);
    expect(run.stderr).toBe(
      'ProbeError: could not check the chains (iptables-nft: binary-not-found, iptables-legacy: binary-not-found); ' +
        'kubelet was not restarted\n',
    );
  });

  it('says so on one line (exit 6) when the termination log cannot be written, with the result on stdout', () => {
    const ns = namespaces.create();
    mustRunIn(ns, ['iptables-nft', '-t', 'mangle', '-N', 'KUBE-IPTABLES-HINT']);
    const host = hosts.create('creates-chains');
    const directory = join(host.dir, 'not-a-file');
    mkdirSync(directory);

    const run = runCliIn(
      ns,
      ['agent', 'remediate', '--host', 'local', '--termination-log', directory],
      host.path,
    );

    expect(run.status).toBe(6);
    expect(agentResultSchema.parse(JSON.parse(run.stdout)).outcome).toBe('ChainsPresent');
    const errorLines = run.stderr.split('\n').filter((l) => l.startsWith('chainmedic:'));
    expect(errorLines).toEqual([
      `chainmedic: cannot write the termination log ${directory}: EISDIR: illegal operation on a directory`,
    ]);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});
