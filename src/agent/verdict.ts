import type { Backend, ChainCheck, CheckFailure, FamilyProbe } from './result.js';
import type { CommandResult } from './runner.js';

/** Exit status 1 is iptables' "no chain by that name"; any other non-zero status means the answer is unknown. */
const NOT_FOUND_EXIT_STATUS = 1;
/**
 * iptables-legacy's "can't initialize iptables table: Table does not exist (do you need to
 * insmod?)". It is also the status of other version problems, so it means "not found" only
 * where the table is known to be absent from the network namespace.
 */
export const TABLE_MISSING_EXIT_STATUS = 3;

/**
 * Classifies one listing by exit status only (never by message text: iptables-nft prints
 * warnings and misleading "incompatible" messages with any status). `tableAbsent`: the
 * listing is a legacy one and its table does not exist in this network namespace (read
 * from /proc/net before any legacy command ran), so exit 3 is a known absence.
 */
export function classifyListing(
  result: CommandResult,
  tableAbsent = false,
): { found: boolean; failure: CheckFailure | null } {
  if (result.failure === 'not-found') return { found: false, failure: 'binary-not-found' };
  if (result.failure) return { found: false, failure: result.failure };
  if (result.exitCode === 0) return { found: true, failure: null };
  if (result.exitCode === NOT_FOUND_EXIT_STATUS) return { found: false, failure: null };
  if (result.exitCode === TABLE_MISSING_EXIT_STATUS && tableAbsent) return { found: false, failure: null };
  return { found: false, failure: 'unexpected-exit-status' };
}

/**
 * azure-npm's decision over the checks of one address family: nft if a chain was found
 * with nft, else legacy if found with legacy. With nothing found, "missing" only when
 * every check gave a known answer; a check that could not be made makes it "error".
 */
export function decideVerdict(checks: readonly ChainCheck[]): Pick<FamilyProbe, 'verdict' | 'backend'> {
  const foundIn = (backend: Backend) => checks.some((c) => c.backend === backend && c.found);
  if (foundIn('nft')) return { verdict: 'present', backend: 'nft' };
  if (foundIn('legacy')) return { verdict: 'present', backend: 'legacy' };
  if (checks.length === 0 || checks.some((c) => c.failure !== null))
    return { verdict: 'error', backend: null };
  return { verdict: 'missing', backend: null };
}
