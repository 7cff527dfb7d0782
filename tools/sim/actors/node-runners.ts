import type { CommandResult, Runner } from '../../../src/agent/runner.js';
import type { SimClock } from './clock.js';
import { hostIptablesVersion, runIptables } from './iptables-command.js';
import type { SimHost } from './host.js';
import { systemdTimestamp } from './klog.js';

const NOT_FOUND: CommandResult = { exitCode: null, stdout: '', stderr: '', failure: 'not-found' };

const unitName = (name: string) => (name.includes('.') ? name : `${name}.service`);

function systemctl(host: SimHost, args: readonly string[], wallMs: number): CommandResult {
  const [verb, rawUnit, ...rest] = args;
  if (rawUnit === undefined) return NOT_FOUND;
  const unit = unitName(rawUnit);
  switch (verb) {
    case 'restart':
      if (rest.length > 0) return NOT_FOUND;
      if (!host.hasUnit(unit)) {
        return { exitCode: 5, stdout: '', stderr: `Failed to restart ${unit}: Unit ${unit} not found.\n` };
      }
      host.restartUnit(unit, wallMs);
      return { exitCode: 0, stdout: '', stderr: '' };
    case 'is-active':
      if (rest.length > 0) return NOT_FOUND;
      return host.hasUnit(unit)
        ? { exitCode: 0, stdout: 'active\n', stderr: '' }
        : { exitCode: 3, stdout: 'inactive\n', stderr: '' };
    case 'show': {
      const property =
        rest.length === 1 && rest[0]?.startsWith('--property=') ? rest[0].slice(11) : undefined;
      if (property === undefined) return NOT_FOUND;
      const started = host.unitStartedAt(unit);
      const values: Record<string, string> = {
        ActiveState: started === undefined ? 'inactive' : 'active',
        ActiveEnterTimestamp: started === undefined ? '' : systemdTimestamp(started),
      };
      const lines = property
        .split(',')
        .filter((p) => Object.hasOwn(values, p))
        .map((p) => `${p}=${values[p]}\n`);
      return { exitCode: 0, stdout: lines.join(''), stderr: '' };
    }
    default:
      return NOT_FOUND;
  }
}

/** `journalctl -u <unit> -b --no-pager -o short-iso -n <N>`, exactly that shape. */
function journalctl(host: SimHost, args: readonly string[]): CommandResult {
  const [u, rawUnit, b, noPager, o, format, n, count] = args;
  const ok =
    args.length === 8 &&
    u === '-u' &&
    rawUnit !== undefined &&
    b === '-b' &&
    noPager === '--no-pager' &&
    o === '-o' &&
    format === 'short-iso' &&
    n === '-n' &&
    /^\d+$/.test(count ?? '');
  if (!ok) return NOT_FOUND;
  const lines = host.journalFor(unitName(rawUnit), Number(count));
  const stdout = lines.length === 0 ? '-- No entries --\n' : `${lines.join('\n')}\n`;
  return { exitCode: 0, stdout, stderr: '' };
}

/** The probe side of the agent on a simulated node: iptables listings against its state. */
export function simProbeRunner(host: SimHost): Runner {
  return async (argv) => runIptables(host.iptables, argv);
}

/** The host side of the agent on a simulated node: systemctl and journalctl. */
export function simHostRunner(host: SimHost, clock: SimClock): Runner {
  return async (argv) => {
    const [file, ...args] = argv;
    if (file === 'systemctl') return systemctl(host, args, clock.wallNow());
    if (file === 'journalctl') return journalctl(host, args);
    return hostIptablesVersion(file, args) ?? NOT_FOUND;
  };
}
