import { listChainCommand } from './chains.js';
import type { AgentResult, BinaryVersion, ChainCheck, FamilyProbe, ProbeResult, Versions } from './result.js';
import { TABLE_MISSING_EXIT_STATUS } from './verdict.js';
import { describeVersionMismatch } from './versions.js';

/** Human-readable renderings of the agent's results (the JSON is the contract; this is for people). */

function describeCheck(check: ChainCheck): string {
  const tableAbsent = !check.found && !check.failure && check.exitCode === TABLE_MISSING_EXIT_STATUS;
  const answer = check.found
    ? 'found'
    : check.failure
      ? `unknown (${check.failure})`
      : tableAbsent
        ? `not found (no legacy ${check.table} table in this network namespace)`
        : 'not found';
  const status = check.exitCode === null ? 'no exit status' : `exit ${check.exitCode}`;
  return `  ${listChainCommand(check.binary, check.chain).join(' ')}  ->  ${status}, ${answer}`;
}

function describeFamily(label: string, family: FamilyProbe): string[] {
  const backend = family.backend ? ` (backend ${family.backend})` : '';
  return [`${label}: ${family.verdict}${backend}`, ...family.checks.map(describeCheck)];
}

const AZURE_NPM: Record<NonNullable<ProbeResult['azureNpmWouldFind']>, string> = {
  nft: 'nft',
  legacy: 'legacy',
  none: 'nothing (it exits "unable to locate which iptables version kube proxy is using")',
  unknown: 'unknown (a listing did not finish)',
};

function describeVersion(v: BinaryVersion): string {
  return v.version === null ? `${v.binary} ? (${v.error})` : `${v.binary} ${v.version} (${v.mode})`;
}

function describeVersions(versions: Versions): string[] {
  const mismatch = describeVersionMismatch(versions);
  return [
    `iptables in the container: ${versions.container.map(describeVersion).join(', ')}`,
    `iptables on the host: ${versions.host.map(describeVersion).join(', ')}`,
    ...(mismatch ? [`version mismatch: ${mismatch}`] : []),
  ];
}

export function formatProbe(result: ProbeResult): string {
  const lines = describeFamily('chains', result);
  if (result.ipv6) lines.push(...describeFamily('ipv6 (information only)', result.ipv6));
  if (result.azureNpmWouldFind) lines.push(`azure-npm would find: ${AZURE_NPM[result.azureNpmWouldFind]}`);
  if (result.versions) lines.push(...describeVersions(result.versions));
  return `${lines.join('\n')}\n`;
}

export function formatRemediation(result: AgentResult): string {
  const mismatch = result.before.versions ? describeVersionMismatch(result.before.versions) : null;
  const warning = mismatch ? `warning: iptables version mismatch: ${mismatch}\n` : '';
  return `${result.outcome}: ${result.message}\n${warning}`;
}

/** One line saying why the chains could not be checked. */
export function describeProbeError(result: ProbeResult): string {
  const unknown = result.checks.filter((c) => c.failure !== null);
  const reasons = [...new Set(unknown.map((c) => `${c.binary}: ${c.failure}`))];
  return `could not check the chains (${reasons.join(', ') || 'no checks ran'})`;
}
