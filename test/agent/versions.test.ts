import type { BinaryVersion } from '../../src/agent/result.js';
import type { CommandResult, Runner } from '../../src/agent/runner.js';
import {
  collectVersions,
  describeVersionMismatch,
  parseVersionOutput,
  versionsMismatch,
} from '../../src/agent/versions.js';

describe('parseVersionOutput', () => {
  it.each([
    ['iptables v1.8.9 (nf_tables)\n', { version: '1.8.9', mode: 'nf_tables' }],
    ['iptables v1.8.10 (legacy)\n', { version: '1.8.10', mode: 'legacy' }],
    ['ip6tables v1.8.7 (nf_tables)', { version: '1.8.7', mode: 'nf_tables' }],
    // Before 1.8 there was no mode: only legacy existed.
    ['iptables v1.6.1\n', { version: '1.6.1', mode: 'legacy' }],
    ['', null],
    ['iptables: command not understood', null],
  ] as const)('%j', (text, expected) => {
    expect(parseVersionOutput(text)).toEqual(expected);
  });
});

const v = (binary: string, version: string | null, mode: BinaryVersion['mode']): BinaryVersion => ({
  binary,
  version,
  mode,
  error: version === null ? 'binary-not-found' : null,
});

describe('versionsMismatch', () => {
  const container = [v('iptables-nft', '1.8.9', 'nf_tables'), v('iptables-legacy', '1.8.9', 'legacy')];

  it.each([
    ['same versions', [v('iptables', '1.8.9', 'nf_tables'), v('iptables-legacy', '1.8.9', 'legacy')], false],
    ['the host iptables (nft) is newer', [v('iptables', '1.8.10', 'nf_tables')], true],
    ['only the legacy binary differs', [v('iptables-legacy', '1.8.7', 'legacy')], true],
    // A legacy-only host (Azure Linux): its iptables is legacy; compared with the container's legacy binary.
    [
      'a legacy-only host with the same legacy version',
      [v('iptables', '1.8.9', 'legacy'), v('iptables-nft', null, null)],
      false,
    ],
    ['a legacy-only host with another version', [v('iptables', '1.8.10', 'legacy')], true],
    [
      'nothing known on the host (nsenter failed)',
      [v('iptables', null, null), v('iptables-nft', null, null)],
      false,
    ],
    ['no host entries', [], false],
  ] as const)('%s', (_name, host, expected) => {
    expect(versionsMismatch(container, host)).toBe(expected);
  });

  it('compares nothing when the container versions are unknown', () => {
    expect(versionsMismatch([v('iptables-nft', null, null)], [v('iptables', '1.8.10', 'nf_tables')])).toBe(
      false,
    );
  });
});

describe('describeVersionMismatch', () => {
  it('names every differing pair, and nothing when none differs', () => {
    const container = [v('iptables-nft', '1.8.9', 'nf_tables'), v('iptables-legacy', '1.8.9', 'legacy')];
    const host = [
      v('iptables', '1.8.10', 'nf_tables'),
      v('iptables-nft', '1.8.10', 'nf_tables'),
      v('iptables-legacy', '1.8.9', 'legacy'),
    ];
    expect(describeVersionMismatch({ container, host, mismatch: true })).toBe(
      'container iptables-nft 1.8.9 (nf_tables) vs host iptables 1.8.10 (nf_tables); ' +
        'container iptables-nft 1.8.9 (nf_tables) vs host iptables-nft 1.8.10 (nf_tables)',
    );
    expect(describeVersionMismatch({ container, host: container, mismatch: false })).toBeNull();
  });
});

describe('collectVersions', () => {
  const answering = (answers: Record<string, CommandResult | Error>): Runner & { calls: string[][] } => {
    const calls: string[][] = [];
    const run = async (argv: readonly string[]) => {
      calls.push([...argv]);
      const answer = answers[argv[0] ?? ''];
      if (answer instanceof Error) throw answer;
      return answer ?? { exitCode: null, stdout: '', stderr: '', failure: 'not-found' as const };
    };
    return Object.assign(run, { calls });
  };
  const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '' });

  it('asks the container for the binaries the probe runs and the host for its three, with argument arrays', async () => {
    const container = answering({
      'iptables-nft': ok('iptables v1.8.9 (nf_tables)\n'),
      'iptables-legacy': ok('iptables v1.8.9 (legacy)\n'),
    });
    const host = answering({
      iptables: ok('iptables v1.8.10 (nf_tables)\n'),
      'iptables-nft': {
        exitCode: 127,
        stdout: '',
        stderr: 'nsenter: failed to execute iptables-nft: No such file or directory\n',
      },
      'iptables-legacy': new Error('boom'),
    });

    const versions = await collectVersions(container, host, 1000);

    expect(container.calls).toEqual([
      ['iptables-nft', '--version'],
      ['iptables-legacy', '--version'],
    ]);
    expect(host.calls).toEqual([
      ['iptables', '--version'],
      ['iptables-nft', '--version'],
      ['iptables-legacy', '--version'],
    ]);
    expect(versions).toEqual({
      container: [
        { binary: 'iptables-nft', version: '1.8.9', mode: 'nf_tables', error: null },
        { binary: 'iptables-legacy', version: '1.8.9', mode: 'legacy', error: null },
      ],
      host: [
        { binary: 'iptables', version: '1.8.10', mode: 'nf_tables', error: null },
        {
          binary: 'iptables-nft',
          version: null,
          mode: null,
          error: 'exit status 127: nsenter: failed to execute iptables-nft: No such file or directory',
        },
        { binary: 'iptables-legacy', version: null, mode: null, error: 'boom' },
      ],
      mismatch: true,
    });
  });

  it('records output it cannot read', async () => {
    const run = answering({ 'iptables-nft': ok('something else\n') });
    const versions = await collectVersions(run, run, 1000);
    expect(versions.container[0]).toEqual({
      binary: 'iptables-nft',
      version: null,
      mode: null,
      error: 'unparsed: something else',
    });
    expect(versions.container[1]?.error).toBe('binary-not-found');
    expect(versions.mismatch).toBe(false);
  });
});
