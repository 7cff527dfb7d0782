import { azureNpmDecision } from './azure-npm.js';
import {
  BACKEND_ORDER,
  PROBE_CHAINS,
  PROBE_TABLE,
  binaryFor,
  listChainCommand,
  type Family,
} from './chains.js';
import { DEFAULT_PROC_NET, readLegacyTables } from './legacy-tables.js';
import { RESULT_SCHEMA_VERSION, type ChainCheck, type FamilyProbe, type ProbeResult } from './result.js';
import type { Runner } from './runner.js';
import { collectVersions } from './versions.js';
import { classifyListing, decideVerdict } from './verdict.js';

export interface ProbeOptions {
  /** Also probe ip6tables (information only). Default true. */
  ipv6?: boolean;
  /** Per command; iptables itself waits up to 60 s for the xtables lock. Default 75 s. */
  timeoutMs?: number;
  /**
   * Where the kernel lists the legacy tables of the network namespace `run` probes. It is
   * read by this process, so the default (/proc/net) is right only when this process is in
   * that namespace, as the agent is (hostNetwork). Tests point it elsewhere.
   */
  procNet?: string;
  /**
   * Runs commands on the host (nsenter). When given, the iptables versions in the container
   * (`run`) and on the host are recorded in `versions`; otherwise `versions` is null.
   */
  host?: Runner;
}

const DEFAULT_TIMEOUT_MS = 75_000;
const VERSION_TIMEOUT_MS = 10_000;
const STDERR_EXCERPT_CHARS = 120;

/**
 * The end of stderr, where iptables puts its error; what comes first is usually
 * iptables-nft's "legacy tables present" warning, which a check with exit 0 keeps.
 */
export function stderrExcerpt(stderr: string): string {
  const trimmed = stderr.trim();
  return trimmed.length > STDERR_EXCERPT_CHARS ? `…${trimmed.slice(-STDERR_EXCERPT_CHARS)}` : trimmed;
}

/**
 * Runs azure-npm's detection for one family: per backend (nft first), the hint, then the
 * canary if needed. `legacyTables`: the legacy tables of the namespace before any legacy
 * listing (null when unknown); a legacy exit 3 is "not found" only when mangle is not among them.
 */
export async function probeFamily(
  run: Runner,
  family: Family,
  timeoutMs: number,
  legacyTables: string[] | null = null,
): Promise<FamilyProbe> {
  const checks: ChainCheck[] = [];
  for (const backend of BACKEND_ORDER) {
    const binary = binaryFor(family, backend);
    const tableAbsent = backend === 'legacy' && legacyTables !== null && !legacyTables.includes(PROBE_TABLE);
    for (const chain of PROBE_CHAINS) {
      const result = await run(listChainCommand(binary, chain), { timeoutMs });
      const { found, failure } = classifyListing(result, tableAbsent);
      checks.push({
        binary,
        backend,
        chain,
        table: PROBE_TABLE,
        exitCode: result.exitCode,
        found,
        stderr: stderrExcerpt(result.stderr),
        failure,
      });
      if (found) break;
    }
    if (checks.some((c) => c.backend === backend && c.found)) break;
  }
  return { ...decideVerdict(checks), checks, legacyTables };
}

/** Probes the chains exactly as azure-npm does, in whatever network namespace `run` executes. */
export async function probeChains(run: Runner, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const procNet = options.procNet ?? DEFAULT_PROC_NET;
  const probeIpv6 = options.ipv6 !== false;
  // Before any command: a legacy listing creates the table it lists where the kernel can.
  const legacy4 = await readLegacyTables('ipv4', procNet);
  const legacy6 = probeIpv6 ? await readLegacyTables('ipv6', procNet) : null;
  const ipv4 = await probeFamily(run, 'ipv4', timeoutMs, legacy4);
  const ipv6 = probeIpv6 ? await probeFamily(run, 'ipv6', timeoutMs, legacy6) : null;
  const versions = options.host ? await collectVersions(run, options.host, VERSION_TIMEOUT_MS) : null;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    ...ipv4,
    ipv6,
    azureNpmWouldFind: azureNpmDecision(ipv4.checks),
    versions,
  };
}
