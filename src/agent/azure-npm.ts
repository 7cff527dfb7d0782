import { BACKEND_ORDER, PROBE_CHAINS, binaryFor } from './chains.js';
import type { AzureNpmDecision, ChainCheck } from './result.js';

/**
 * azure-npm's own reading of the chain listings (npm/pkg/dataplane/policies,
 * detectIptablesVersion and hintOrCanaryChainExist), kept apart from the agent's verdict so a
 * disagreement shows. Its command runner returns an error only for an exit status: any
 * non-zero status is "not found", and a binary that cannot be started gives no error at all,
 * which it reads as "found".
 */

type Answer = 'found' | 'not-found' | 'unknown';

function azureNpmAnswer(check: ChainCheck): Answer {
  if (check.failure === 'binary-not-found' || check.failure === 'spawn-failed') return 'found';
  // We stopped the command; azure-npm sets no deadline and would still be waiting.
  if (check.failure === 'timeout') return 'unknown';
  return check.exitCode === 0 ? 'found' : 'not-found';
}

/** iptables-nft (hint, then canary), then iptables-legacy (hint, then canary); the first found decides. */
export function azureNpmDecision(checks: readonly ChainCheck[]): AzureNpmDecision {
  for (const backend of BACKEND_ORDER) {
    const binary = binaryFor('ipv4', backend);
    for (const chain of PROBE_CHAINS) {
      const check = checks.find((c) => c.binary === binary && c.chain === chain);
      if (!check) return 'unknown';
      const answer = azureNpmAnswer(check);
      if (answer === 'found') return backend;
      if (answer === 'unknown') return 'unknown';
    }
  }
  return 'none';
}
