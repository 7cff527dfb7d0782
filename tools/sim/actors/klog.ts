/** Formatting of klog headers and journald short-iso prefixes, as real kubelet and azure-npm print them. */
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `I1008 05:38:38.192213    2825 file.go:58] ` (severity, month-day, UTC time with microseconds, pid padded to 7). */
export function klogHeader(
  severity: 'I' | 'W' | 'E' | 'F',
  wallMs: number,
  pid: number,
  source: string,
): string {
  const d = new Date(wallMs);
  // Wall-clock ms have no microseconds; derive stable ones so lines look like klog's.
  const micros = pad(d.getUTCMilliseconds(), 3) + pad(Math.floor(wallMs * 7919) % 1000, 3);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${micros}`;
  return `${severity}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${time} ${String(pid).padStart(7)} ${source}] `;
}

/** journalctl -o short-iso prefix: `2026-10-08T05:38:38+0000 host kubelet[2825]: `. */
export function journalPrefix(wallMs: number, host: string, ident: string, pid: number): string {
  const iso = new Date(Math.floor(wallMs / 1000) * 1000).toISOString().replace('.000Z', '+0000');
  return `${iso} ${host} ${ident}[${pid}]: `;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** systemctl show timestamp format: `Tue 2026-11-24 19:35:44 UTC`. */
export function systemdTimestamp(wallMs: number): string {
  const d = new Date(wallMs);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${date} ${time} UTC`;
}
