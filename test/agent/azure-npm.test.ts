import { azureNpmDecision } from '../../src/agent/azure-npm.js';
import type { ChainCheck, CheckFailure } from '../../src/agent/result.js';

/**
 * azure-npm's reading of the listings (detectIptablesVersion / hintOrCanaryChainExist in
 * Azure/azure-container-networking): every exit status but 0 is "not found", a binary that
 * cannot be started is "found" (its runner returns no error without an exit status).
 */

type Outcome = number | CheckFailure;

function check(key: string, outcome: Outcome): ChainCheck {
  const [binary, chain] = key.split(' ') as [string, string];
  const exitCode = typeof outcome === 'number' ? outcome : null;
  return {
    binary,
    backend: binary.endsWith('nft') ? 'nft' : 'legacy',
    chain,
    table: 'mangle',
    exitCode,
    found: exitCode === 0,
    stderr: '',
    failure: typeof outcome === 'number' ? null : outcome,
  };
}

const NH = 'iptables-nft KUBE-IPTABLES-HINT';
const NC = 'iptables-nft KUBE-KUBELET-CANARY';
const LH = 'iptables-legacy KUBE-IPTABLES-HINT';
const LC = 'iptables-legacy KUBE-KUBELET-CANARY';

describe('azureNpmDecision', () => {
  it.each([
    ['nft hint found', { [NH]: 0 }, 'nft'],
    ['nft canary found', { [NH]: 1, [NC]: 0 }, 'nft'],
    ['legacy hint found', { [NH]: 1, [NC]: 1, [LH]: 0 }, 'legacy'],
    ['legacy canary found', { [NH]: 1, [NC]: 1, [LH]: 1, [LC]: 0 }, 'legacy'],
    ['nothing found', { [NH]: 1, [NC]: 1, [LH]: 1, [LC]: 1 }, 'none'],
    ['legacy exits 3 (no legacy module): not found', { [NH]: 1, [NC]: 1, [LH]: 3, [LC]: 3 }, 'none'],
    ['a lock wait that ran out (exit 4) is not found', { [NH]: 4, [NC]: 4, [LH]: 1, [LC]: 1 }, 'none'],
    ['nft exit 4, legacy hint found', { [NH]: 4, [NC]: 4, [LH]: 0 }, 'legacy'],
    ['iptables-nft missing: azure-npm takes it as found', { [NH]: 'binary-not-found' }, 'nft'],
    ['iptables-nft cannot start: found too', { [NH]: 'spawn-failed' }, 'nft'],
    ['legacy missing after nft finds nothing', { [NH]: 1, [NC]: 1, [LH]: 'binary-not-found' }, 'legacy'],
    ['an nft timeout: azure-npm would still be waiting', { [NH]: 'timeout', [NC]: 1, [LH]: 0 }, 'unknown'],
    ['a timeout after a find does not matter', { [NH]: 0, [NC]: 'timeout' }, 'nft'],
    [
      'a signal (no exit status) is not found',
      { [NH]: 'unexpected-exit-status', [NC]: 1, [LH]: 1, [LC]: 1 },
      'none',
    ],
    ['a check azure-npm would run is missing', { [NH]: 1, [NC]: 1 }, 'unknown'],
    ['no checks at all', {}, 'unknown'],
  ] as const)('%s', (_name, outcomes, expected) => {
    const checks = Object.entries(outcomes).map(([key, outcome]) => check(key, outcome as Outcome));
    expect(azureNpmDecision(checks)).toBe(expected);
  });

  it('ignores IPv6 checks (azure-npm never runs ip6tables)', () => {
    const checks = [
      check('ip6tables-nft KUBE-IPTABLES-HINT', 0),
      check(NH, 1),
      check(NC, 1),
      check(LH, 1),
      check(LC, 1),
    ];
    expect(azureNpmDecision(checks)).toBe('none');
  });
});
