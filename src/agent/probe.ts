import {
  BACKEND_ORDER,
  PROBE_CHAINS,
  PROBE_TABLE,
  binaryFor,
  listChainCommand,
  type Family,
} from './chains.js';
import { RESULT_SCHEMA_VERSION, type ChainCheck, type FamilyProbe, type ProbeResult } from './result.js';
import type { Runner } from './runner.js';
import { classifyListing, decideVerdict } from './verdict.js';

export interface ProbeOptions {
  /** Also probe ip6tables (information only). Default true. */
  ipv6?: boolean;
  /** Per command; iptables itself waits up to 60 s for the xtables lock. Default 75 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 75_000;
const STDERR_EXCERPT_CHARS = 120;

/**
 * The end of stderr, where iptables puts its error; what comes first is usually
 * iptables-nft's "legacy tables present" warning, which a check with exit 0 keeps.
 */
export function stderrExcerpt(stderr: string): string {
  const trimmed = stderr.trim();
  return trimmed.length > STDERR_EXCERPT_CHARS ? `…${trimmed.slice(-STDERR_EXCERPT_CHARS)}` : trimmed;
}

/** Runs azure-npm's detection for one family: per backend (nft first), the hint, then the canary if needed. */
export async function probeFamily(run: Runner, family: Family, timeoutMs: number): Promise<FamilyProbe> {
  const checks: ChainCheck[] = [];
  for (const backend of BACKEND_ORDER) {
    const binary = binaryFor(family, backend);
    for (const chain of PROBE_CHAINS) {
      const result = await run(listChainCommand(binary, chain), { timeoutMs });
      const { found, failure } = classifyListing(result);
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
  return { ...decideVerdict(checks), checks };
}

/** Probes the chains exactly as azure-npm does, in whatever network namespace `run` executes. */
export async function probeChains(run: Runner, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ipv4 = await probeFamily(run, 'ipv4', timeoutMs);
  const ipv6 = options.ipv6 === false ? null : await probeFamily(run, 'ipv6', timeoutMs);
  return { schemaVersion: RESULT_SCHEMA_VERSION, ...ipv4, ipv6 };
}
