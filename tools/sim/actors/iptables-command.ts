import type { CommandResult } from '../../../src/agent/runner.js';
import {
  BUILTIN_CHAINS,
  type Backend,
  type Family,
  type NodeIptables,
  type Table,
} from './iptables-state.js';

/** The iptables binaries the simulated nodes answer to. */
const BINARIES: Record<string, { backend: Backend; family: Family; label: string }> = {
  'iptables-nft': { backend: 'nft', family: 'ipv4', label: 'iptables v1.8.10 (nf_tables)' },
  'iptables-legacy': { backend: 'legacy', family: 'ipv4', label: 'iptables v1.8.10 (legacy)' },
  'ip6tables-nft': { backend: 'nft', family: 'ipv6', label: 'ip6tables v1.8.10 (nf_tables)' },
  'ip6tables-legacy': { backend: 'legacy', family: 'ipv6', label: 'ip6tables v1.8.10 (legacy)' },
};

export const NO_CHAIN_MESSAGE = 'iptables: No chain/target/match by that name.';
export const LEGACY_TABLES_WARNING =
  '# Warning: iptables-legacy tables present, use iptables-legacy to see them';

/** The host's `iptables --version` (the same version as the binaries: the sim's nodes agree with the agent). */
export function hostIptablesVersion(
  file: string | undefined,
  args: readonly string[],
): CommandResult | undefined {
  if (args.length !== 1 || args[0] !== '--version') return undefined;
  if (file === 'iptables') return { exitCode: 0, stdout: `${BINARIES['iptables-nft']!.label}\n`, stderr: '' };
  const binary = file === undefined ? undefined : BINARIES[file];
  return binary?.family === 'ipv4' ? { exitCode: 0, stdout: `${binary.label}\n`, stderr: '' } : undefined;
}

export function isIptablesBinary(file: string | undefined): boolean {
  return file !== undefined && Object.hasOwn(BINARIES, file);
}

interface ListRequest {
  chain: string;
  table: Table;
}

/** Parses `-w N -L CHAIN -t TABLE -n` in any order; returns an error message for anything else. */
function parseListArgs(args: readonly string[]): ListRequest | string {
  let chain: string | undefined;
  let table = 'filter';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-n') continue;
    if (arg === '-w' && /^\d+$/.test(args[i + 1] ?? '')) {
      i++;
      continue;
    }
    if ((arg === '-L' || arg === '--list') && args[i + 1] !== undefined) {
      chain = args[++i];
      continue;
    }
    if ((arg === '-t' || arg === '--table') && args[i + 1] !== undefined) {
      table = args[++i] as string;
      continue;
    }
    return `unknown option "${arg}"`;
  }
  if (chain === undefined) return 'no command specified';
  if (!Object.hasOwn(BUILTIN_CHAINS, table))
    return `can't initialize iptables table \`${table}': Table does not exist`;
  return { chain, table: table as Table };
}

function listing(chain: string, table: Table): string {
  const header = BUILTIN_CHAINS[table].includes(chain)
    ? `Chain ${chain} (policy ACCEPT)`
    : `Chain ${chain} (0 references)`;
  return `${header}\ntarget     prot opt source               destination         \n`;
}

/** Answers one iptables listing against a node's state, as the real binaries do. */
export function runIptables(state: NodeIptables, argv: readonly string[]): CommandResult {
  const [file, ...args] = argv;
  const binary = file === undefined ? undefined : BINARIES[file];
  if (!binary) return { exitCode: null, stdout: '', stderr: '', failure: 'not-found' };
  if (args.length === 1 && args[0] === '--version')
    return { exitCode: 0, stdout: `${binary.label}\n`, stderr: '' };
  const request = parseListArgs(args);
  const warning =
    binary.backend === 'nft' && state.hasLegacyTables(binary.family) ? `${LEGACY_TABLES_WARNING}\n` : '';
  if (typeof request === 'string') {
    return {
      exitCode: 2,
      stdout: '',
      stderr: `${warning}${binary.label}: ${request}\nTry \`${file} -h' or '${file} --help' for more information.\n`,
    };
  }
  const found = state.hasChain({ backend: binary.backend, family: binary.family, ...request });
  if (!found) return { exitCode: 1, stdout: '', stderr: `${warning}${NO_CHAIN_MESSAGE}\n` };
  return { exitCode: 0, stdout: listing(request.chain, request.table), stderr: warning };
}
