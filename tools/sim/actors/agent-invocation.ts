import { isValidUnitName } from '../../../src/agent/host-commands.js';

/**
 * Recognizes a container that runs `chainmedic agent remediate ...` and reads the
 * flags the simulated node honours. Pure.
 */
export interface AgentInvocation {
  unit: string;
  waitSeconds: number;
}

export type AgentInvocationParse =
  | { kind: 'agent'; invocation: AgentInvocation }
  | { kind: 'probe'; json: boolean }
  | { kind: 'usage-error'; message: string }
  | { kind: 'other' };

const DEFAULTS: AgentInvocation = { unit: 'kubelet.service', waitSeconds: 90 };
const VALUE_FLAGS = new Set(['--kubelet-unit', '--wait-seconds', '--host', '--termination-log']);

function isChainmedic(word: string): boolean {
  const base = word.slice(word.lastIndexOf('/') + 1);
  return base === 'chainmedic' || base === 'chainmedic.js';
}

export function parseAgentInvocation(
  command: readonly string[] = [],
  args: readonly string[] = [],
): AgentInvocationParse {
  const argv = [...command, ...args];
  const probeAt = argv.findIndex(
    (w, i) => isChainmedic(w) && argv[i + 1] === 'agent' && argv[i + 2] === 'probe',
  );
  if (probeAt >= 0) {
    const flags = argv.slice(probeAt + 3);
    const unknown = flags.find((f) => f !== '--json');
    if (unknown !== undefined) return { kind: 'usage-error', message: `error: unknown option '${unknown}'` };
    return { kind: 'probe', json: flags.includes('--json') };
  }
  const at = argv.findIndex(
    (w, i) => isChainmedic(w) && argv[i + 1] === 'agent' && argv[i + 2] === 'remediate',
  );
  if (at < 0) return { kind: 'other' };
  const flags = argv.slice(at + 3);
  const values = new Map<string, string>();
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] as string;
    const eq = flag.indexOf('=');
    const name = eq > 0 ? flag.slice(0, eq) : flag;
    if (!VALUE_FLAGS.has(name)) return { kind: 'usage-error', message: `error: unknown option '${flag}'` };
    const value = eq > 0 ? flag.slice(eq + 1) : flags[++i];
    if (value === undefined)
      return { kind: 'usage-error', message: `error: option '${name} <value>' argument missing` };
    values.set(name, value);
  }
  const host = values.get('--host');
  if (host !== undefined && host !== 'nsenter' && host !== 'local') {
    return { kind: 'usage-error', message: `error: option '--host' argument '${host}' is invalid` };
  }
  const waitText = values.get('--wait-seconds');
  const waitSeconds = waitText === undefined ? DEFAULTS.waitSeconds : Number(waitText);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > 3600) {
    return {
      kind: 'usage-error',
      message: `error: option '--wait-seconds' argument '${waitText}' is invalid`,
    };
  }
  const unit = values.get('--kubelet-unit') ?? DEFAULTS.unit;
  if (!isValidUnitName(unit)) {
    return {
      kind: 'usage-error',
      message: `error: option '--kubelet-unit <unit>' argument '${unit}' is invalid.`,
    };
  }
  return { kind: 'agent', invocation: { unit, waitSeconds } };
}
