import { FAILED_MARKER, INITIALIZED_MARKER } from './evidence.js';

/**
 * The only commands the agent runs on the host. The simulated cluster interprets exactly
 * these argument arrays, so keep their shape. `unit` is validated before it gets here;
 * every other argument is a constant.
 */

export const UNIT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9@._-]{0,200}\.service$/;

export function isValidUnitName(unit: string): boolean {
  return UNIT_NAME_PATTERN.test(unit);
}

/** Guards every builder, so no caller can pass an option-like or shell-like string as a unit. */
function checked(unit: string): string {
  if (!isValidUnitName(unit)) throw new Error(`invalid systemd unit name: ${JSON.stringify(unit)}`);
  return unit;
}

/** The unit whose restarts flush kubelet's chains (iptables-services' `iptables -F; iptables -X`). */
export const IPTABLES_UNIT = 'iptables.service';

/** Prefix that runs a command in the host's namespaces (the Job runs with hostPID and privileges). */
export const NSENTER_PREFIX: readonly string[] = [
  'nsenter',
  '--target',
  '1',
  '--mount',
  '--uts',
  '--ipc',
  '--pid',
  '--',
];

export function restartUnit(unit: string): string[] {
  return ['systemctl', 'restart', checked(unit)];
}

/** Prints "active\n" and exits 0 when the unit is active. */
export function isActiveUnit(unit: string): string[] {
  return ['systemctl', 'is-active', checked(unit)];
}

export function showUnitStart(unit: string): string[] {
  return ['systemctl', 'show', checked(unit), '--property=ActiveState,ActiveEnterTimestamp'];
}

/** The bounded scan, for a journalctl without --grep: the unit's last lines of the current boot. */
export const JOURNAL_LINES = 2000;

export function unitJournal(unit: string): string[] {
  return [
    'journalctl',
    '-u',
    checked(unit),
    '-b',
    '--no-pager',
    '-o',
    'short-iso',
    '-n',
    String(JOURNAL_LINES),
  ];
}

/** kubelet's iptables init lines (a PCRE2 pattern; it has capitals, so journalctl matches case-sensitively). */
export const INIT_LINE_PATTERN = `${FAILED_MARKER}|${INITIALIZED_MARKER}`;
/** Each kubelet start writes one or two (IPv4, IPv6): a hundred starts. */
export const JOURNAL_MATCHES = 200;

/**
 * The unit's init lines of the current boot, however much else it logged: the last
 * JOURNAL_MATCHES matches, newest first. --reverse is explicit because journalctl applies -n
 * to matches only when it walks backwards (newer versions imply it with --grep, older do not).
 */
export function unitJournalInitLines(unit: string): string[] {
  return [
    'journalctl',
    '-b',
    '-u',
    checked(unit),
    '--no-pager',
    '-o',
    'short-iso',
    '--reverse',
    '-n',
    String(JOURNAL_MATCHES),
    '--grep',
    INIT_LINE_PATTERN,
  ];
}

/** The host's iptables binaries whose versions the probe records: the one kubelet runs, and both backends. */
export const HOST_IPTABLES_BINARIES = ['iptables', 'iptables-nft', 'iptables-legacy'] as const;
export type HostIptablesBinary = (typeof HOST_IPTABLES_BINARIES)[number];

export function iptablesVersion(binary: HostIptablesBinary): string[] {
  if (!HOST_IPTABLES_BINARIES.includes(binary))
    throw new Error(`not an iptables binary: ${JSON.stringify(binary)}`);
  return [binary, '--version'];
}
