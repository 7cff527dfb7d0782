/**
 * The only commands the agent runs on the host. The simulated cluster interprets exactly
 * these argument arrays, so keep their shape. `unit` is validated before it gets here.
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
