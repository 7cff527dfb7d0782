import type { ChainCheck } from '../../src/agent/result.js';
import type { CommandResult } from '../../src/agent/runner.js';
import { classifyListing, decideVerdict } from '../../src/agent/verdict.js';

const check = (binary: string, chain: string, outcome: 'found' | 'absent' | 'unknown'): ChainCheck => ({
  binary,
  backend: binary.endsWith('nft') ? 'nft' : 'legacy',
  chain,
  table: 'mangle',
  exitCode: outcome === 'found' ? 0 : outcome === 'absent' ? 1 : null,
  found: outcome === 'found',
  stderr: '',
  failure: outcome === 'unknown' ? 'timeout' : null,
});

const NFT_HINT = 'iptables-nft KUBE-IPTABLES-HINT';
const NFT_CANARY = 'iptables-nft KUBE-KUBELET-CANARY';
const LEGACY_HINT = 'iptables-legacy KUBE-IPTABLES-HINT';
const LEGACY_CANARY = 'iptables-legacy KUBE-KUBELET-CANARY';

type Row = [string, Record<string, 'found' | 'absent' | 'unknown'>, string, string | null];

describe('decideVerdict', () => {
  const rows: Row[] = [
    ['nft hint found', { [NFT_HINT]: 'found' }, 'present', 'nft'],
    ['nft canary found', { [NFT_HINT]: 'absent', [NFT_CANARY]: 'found' }, 'present', 'nft'],
    [
      'legacy hint found',
      { [NFT_HINT]: 'absent', [NFT_CANARY]: 'absent', [LEGACY_HINT]: 'found' },
      'present',
      'legacy',
    ],
    [
      'legacy canary found',
      { [NFT_HINT]: 'absent', [NFT_CANARY]: 'absent', [LEGACY_HINT]: 'absent', [LEGACY_CANARY]: 'found' },
      'present',
      'legacy',
    ],
    [
      'all four absent',
      { [NFT_HINT]: 'absent', [NFT_CANARY]: 'absent', [LEGACY_HINT]: 'absent', [LEGACY_CANARY]: 'absent' },
      'missing',
      null,
    ],
    [
      'nft unknown, legacy absent: could not check',
      { [NFT_HINT]: 'unknown', [NFT_CANARY]: 'unknown', [LEGACY_HINT]: 'absent', [LEGACY_CANARY]: 'absent' },
      'error',
      null,
    ],
    [
      'one unknown check among absent ones: could not check',
      { [NFT_HINT]: 'absent', [NFT_CANARY]: 'absent', [LEGACY_HINT]: 'absent', [LEGACY_CANARY]: 'unknown' },
      'error',
      null,
    ],
    [
      'nft unknown but legacy found: present in legacy (what azure-npm would use)',
      { [NFT_HINT]: 'unknown', [NFT_CANARY]: 'unknown', [LEGACY_HINT]: 'found' },
      'present',
      'legacy',
    ],
    ['nft hint unknown, canary found', { [NFT_HINT]: 'unknown', [NFT_CANARY]: 'found' }, 'present', 'nft'],
    ['no checks at all', {}, 'error', null],
  ];

  it.each(rows)('%s', (_name, outcomes, verdict, backend) => {
    const checks = Object.entries(outcomes).map(([key, outcome]) => {
      const [binary, chain] = key.split(' ') as [string, string];
      return check(binary, chain, outcome);
    });
    expect(decideVerdict(checks)).toEqual({ verdict, backend });
  });
});

describe('classifyListing (exit status only, never message text)', () => {
  const result = (partial: Partial<CommandResult>): CommandResult => ({
    exitCode: null,
    stdout: '',
    stderr: '',
    ...partial,
  });

  it.each([
    [
      'exit 0 is found, whatever stderr says',
      result({ exitCode: 0, stderr: '# Warning: iptables-legacy tables present' }),
      true,
      null,
    ],
    [
      'exit 1 is a known absence',
      result({ exitCode: 1, stderr: 'iptables: No chain/target/match by that name.' }),
      false,
      null,
    ],
    [
      'exit 1 with an "incompatible" message is still absence',
      result({ exitCode: 1, stderr: "chain `X' is incompatible, use 'nft' tool." }),
      false,
      null,
    ],
    ['exit 4 (lock, permission) is unknown', result({ exitCode: 4 }), false, 'unexpected-exit-status'],
    [
      'exit 3 is unknown (unless the legacy table is known to be absent)',
      result({ exitCode: 3 }),
      false,
      'unexpected-exit-status',
    ],
    ['a missing binary is unknown', result({ failure: 'not-found' }), false, 'binary-not-found'],
    ['a timeout is unknown', result({ failure: 'timeout' }), false, 'timeout'],
    ['a command that could not start is unknown', result({ failure: 'spawn-failed' }), false, 'spawn-failed'],
  ] as const)('%s', (_name, input, found, failure) => {
    expect(classifyListing(input)).toEqual({ found, failure });
  });

  it.each([
    ['exit 3 where the legacy table is absent is a known absence', 3, false, null],
    ['exit 1 stays an absence', 1, false, null],
    ['exit 0 stays found', 0, true, null],
    ['exit 4 stays unknown', 4, false, 'unexpected-exit-status'],
    ['exit 2 stays unknown', 2, false, 'unexpected-exit-status'],
  ] as const)('with the table absent: %s', (_name, exitCode, found, failure) => {
    const input = result({
      exitCode,
      stderr: "can't initialize iptables table `mangle': Table does not exist",
    });
    expect(classifyListing(input, true)).toEqual({ found, failure });
  });

  it('a missing binary stays unknown even where the table is absent', () => {
    expect(classifyListing(result({ failure: 'not-found' }), true)).toEqual({
      found: false,
      failure: 'binary-not-found',
    });
  });
});
