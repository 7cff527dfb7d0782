import { listChainCommand } from './chains.js';
import type { AgentResult, ChainCheck, FamilyProbe, ProbeResult } from './result.js';

/** Human-readable renderings of the agent's results (the JSON is the contract; this is for people). */

function describeCheck(check: ChainCheck): string {
  const answer = check.found ? 'found' : check.failure ? `unknown (${check.failure})` : 'not found';
  const status = check.exitCode === null ? 'no exit status' : `exit ${check.exitCode}`;
  return `  ${listChainCommand(check.binary, check.chain).join(' ')}  ->  ${status}, ${answer}`;
}

function describeFamily(label: string, family: FamilyProbe): string[] {
  const backend = family.backend ? ` (backend ${family.backend})` : '';
  return [`${label}: ${family.verdict}${backend}`, ...family.checks.map(describeCheck)];
}

export function formatProbe(result: ProbeResult): string {
  const lines = describeFamily('chains', result);
  if (result.ipv6) lines.push(...describeFamily('ipv6 (information only)', result.ipv6));
  return `${lines.join('\n')}\n`;
}

export function formatRemediation(result: AgentResult): string {
  return `${result.outcome}: ${result.message}\n`;
}

/** One line saying why the chains could not be checked. */
export function describeProbeError(result: ProbeResult): string {
  const unknown = result.checks.filter((c) => c.failure !== null);
  const reasons = [...new Set(unknown.map((c) => `${c.binary}: ${c.failure}`))];
  return `could not check the chains (${reasons.join(', ') || 'no checks ran'})`;
}
