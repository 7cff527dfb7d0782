import { describeProblem } from './command-problem.js';
import type { Cause, Evidence, InitLine, UnitState } from './result.js';
import type { CommandResult } from './runner.js';

/** Pure parsing of what the host tells us (journal text, `systemctl show` output) and the cause derived from it. */

/** What kubelet's initNetworkUtil logs per protocol (kubelet_network_linux.go), without the trailing punctuation. */
export const FAILED_MARKER = 'Failed to initialize iptables rules';
export const INITIALIZED_MARKER = 'Initialized iptables rules';
const LINE_EXCERPT_CHARS = 240;

/** "A few seconds": an iptables unit (re)start this close to kubelet's start can flush chains mid-init. */
export const RACE_WINDOW_MS = 10_000;
/** Timestamps have one-second resolution; a failure this much before kubelet's start still belongs to it. */
const SAME_RUN_TOLERANCE_MS = 2_000;

const JOURNAL_PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})\s/;
const PROTOCOL = /\bprotocol="?(IPv4|IPv6)"?/;

/** journalctl short-iso prefix ("2026-10-08T05:38:38+0000 host kubelet[2825]: ...") to ISO UTC. */
export function parseJournalTimestamp(line: string): string | null {
  const match = JOURNAL_PREFIX.exec(line);
  if (!match) return null;
  const [, local, zone] = match as unknown as [string, string, string];
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  return isoOrNull(`${local}${offset}`);
}

/** The last failed and last initialized line per protocol, oldest first. */
export function parseInitLines(journal: string): InitLine[] {
  const latest = new Map<string, { index: number; entry: InitLine }>();
  journal.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    const kind = line.includes(FAILED_MARKER)
      ? 'failed'
      : line.includes(INITIALIZED_MARKER)
        ? 'initialized'
        : null;
    if (!kind) return;
    const protocol = PROTOCOL.exec(line)?.[1] ?? null;
    const entry: InitLine = {
      kind,
      timestamp: parseJournalTimestamp(line),
      protocol,
      line: line.length > LINE_EXCERPT_CHARS ? `${line.slice(0, LINE_EXCERPT_CHARS)}…` : line,
    };
    latest.set(`${kind}/${protocol ?? ''}`, { index, entry });
  });
  return [...latest.values()].sort((a, b) => a.index - b.index).map((v) => v.entry);
}

/**
 * What journalctl says when it cannot match patterns: built without PCRE2 ("Compiled without
 * pattern matching support"), PCRE2 not loadable at run time ("libpcre2-8.so.0 is not
 * installed", "PCRE2 support is not compiled in"), or too old to know --grep (getopt's
 * "unrecognized option"). journalctl gives these exit status 1, as it does for no match at all.
 */
const GREP_UNSUPPORTED =
  /pattern matching support|PCRE2 support|libpcre2|unrecognized option|invalid option/i;
/** journalctl's line for an empty answer; with --grep it then exits 1 (systemd 252 does). */
const NO_ENTRIES = '-- No entries --';

export type GrepAnswer =
  { kind: 'lines'; text: string } | { kind: 'unsupported' } | { kind: 'failed'; problem: string };

/** Reads the answer of `journalctl ... --grep`: its lines, "cannot match patterns here", or another failure. */
export function grepAnswer(result: CommandResult): GrepAnswer {
  if (result.failure) return { kind: 'failed', problem: result.failure };
  if (result.exitCode === 0) return { kind: 'lines', text: result.stdout };
  if (GREP_UNSUPPORTED.test(result.stderr)) return { kind: 'unsupported' };
  if (result.exitCode === 1 && result.stdout.includes(NO_ENTRIES)) return { kind: 'lines', text: '' };
  return { kind: 'failed', problem: describeProblem(result) ?? `exit status ${result.exitCode}` };
}

/** "Tue 2026-11-24 19:35:44 UTC" to ISO UTC. Only UTC/GMT zones are understood; others give null. */
export function parseSystemdTimestamp(value: string): string | null {
  const match = /^(?:[A-Za-z]{3} )?(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.\d+)? (UTC|GMT)$/.exec(
    value.trim(),
  );
  if (!match) return null;
  return isoOrNull(`${match[1]}T${match[2]}Z`);
}

/** `systemctl show --property=ActiveState,ActiveEnterTimestamp` output (key=value lines). */
export function parseUnitShow(text: string): UnitState {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const activeState = values.get('ActiveState') || null;
  const enter = values.get('ActiveEnterTimestamp');
  return { activeState, activeEnterTimestamp: enter ? parseSystemdTimestamp(enter) : null };
}

/**
 * KubeletInitRace: kubelet's current run failed its iptables init and the iptables unit
 * (re)started within RACE_WINDOW_MS of kubelet's start. KubeletInitFailed: the init failed
 * otherwise. Unknown: no failure of the current run in the journal.
 */
export function decideCause(evidence: Pick<Evidence, 'initLines' | 'kubelet' | 'iptables'>): Cause {
  const ipv4 = evidence.initLines.filter((l) => l.protocol !== 'IPv6');
  const last = ipv4[ipv4.length - 1];
  if (!last || last.kind !== 'failed') return 'Unknown';
  const kubeletStart = millis(evidence.kubelet?.activeEnterTimestamp);
  const failedAt = millis(last.timestamp);
  if (kubeletStart !== null && failedAt !== null && failedAt < kubeletStart - SAME_RUN_TOLERANCE_MS) {
    return 'Unknown';
  }
  const reference = kubeletStart ?? failedAt;
  const iptablesStart = millis(evidence.iptables?.activeEnterTimestamp);
  if (reference !== null && iptablesStart !== null && Math.abs(iptablesStart - reference) <= RACE_WINDOW_MS) {
    return 'KubeletInitRace';
  }
  return 'KubeletInitFailed';
}

function isoOrNull(text: string): string | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function millis(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
