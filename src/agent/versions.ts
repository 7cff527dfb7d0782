import { describeProblem, firstLine } from './command-problem.js';
import { HOST_IPTABLES_BINARIES, iptablesVersion } from './host-commands.js';
import type { BinaryVersion, Versions } from './result.js';
import type { CommandResult, Runner } from './runner.js';

/**
 * The iptables versions in the agent's container and on the host. iptables-nft reads rules
 * written by a newer iptables-nft differently (a chain "is incompatible", exit 1), so the
 * agent can see "missing" where the host's tools (and azure-npm's) see a chain: a version
 * difference is worth a warning. Best effort: nothing here ever fails the probe.
 */

/** The binaries the probe runs (IPv4; ip6tables comes from the same package). */
export const CONTAINER_IPTABLES_BINARIES = ['iptables-nft', 'iptables-legacy'] as const;

const ERROR_CHARS = 100;

/** `iptables v1.8.9 (nf_tables)`; before 1.8 there was no mode and only legacy. */
const VERSION_LINE = /\bv(\d+(?:\.\d+)+)(?:\s+\((nf_tables|legacy)\))?/;

export function parseVersionOutput(text: string): Pick<BinaryVersion, 'version' | 'mode'> | null {
  const match = VERSION_LINE.exec(text);
  if (!match?.[1]) return null;
  return { version: match[1], mode: match[2] === 'nf_tables' ? 'nf_tables' : 'legacy' };
}

async function readVersion(
  run: Runner,
  binary: string,
  argv: string[],
  timeoutMs: number,
): Promise<BinaryVersion> {
  const unknown = (error: string): BinaryVersion => ({ binary, version: null, mode: null, error });
  let result: CommandResult;
  try {
    result = await run(argv, { timeoutMs });
  } catch (err) {
    return unknown(err instanceof Error ? err.message : String(err));
  }
  const problem = describeProblem(result);
  if (problem !== null)
    return unknown(problem === 'not-found' ? 'binary-not-found' : problem.slice(0, ERROR_CHARS));
  const parsed = parseVersionOutput(result.stdout);
  if (!parsed) return unknown(`unparsed: ${firstLine(result.stdout, 60)}`);
  return { binary, ...parsed, error: null };
}

/** True when a container binary and a host binary of the same mode report different versions. */
export function versionsMismatch(
  container: readonly BinaryVersion[],
  host: readonly BinaryVersion[],
): boolean {
  return mismatchedPairs(container, host).length > 0;
}

function mismatchedPairs(
  container: readonly BinaryVersion[],
  host: readonly BinaryVersion[],
): Array<[BinaryVersion, BinaryVersion]> {
  return container.flatMap((c) =>
    host
      .filter((h) => c.version !== null && h.version !== null && h.mode === c.mode && h.version !== c.version)
      .map((h): [BinaryVersion, BinaryVersion] => [c, h]),
  );
}

/** Runs `--version` for each binary in the container (`probe`) and on the host (`host`), one at a time. */
export async function collectVersions(probe: Runner, host: Runner, timeoutMs: number): Promise<Versions> {
  const container: BinaryVersion[] = [];
  for (const binary of CONTAINER_IPTABLES_BINARIES) {
    container.push(await readVersion(probe, binary, [binary, '--version'], timeoutMs));
  }
  const onHost: BinaryVersion[] = [];
  for (const binary of HOST_IPTABLES_BINARIES) {
    onHost.push(await readVersion(host, binary, iptablesVersion(binary), timeoutMs));
  }
  return { container, host: onHost, mismatch: versionsMismatch(container, onHost) };
}

const label = (v: BinaryVersion) => `${v.binary} ${v.version} (${v.mode})`;

/**
 * One line naming every differing pair, for a Warning Event or a log; null when nothing differs.
 * e.g. "container iptables-nft 1.8.9 (nf_tables) vs host iptables 1.8.10 (nf_tables)".
 */
export function describeVersionMismatch(versions: Versions): string | null {
  const pairs = mismatchedPairs(versions.container, versions.host);
  if (pairs.length === 0) return null;
  return pairs.map(([c, h]) => `container ${label(c)} vs host ${label(h)}`).join('; ');
}
