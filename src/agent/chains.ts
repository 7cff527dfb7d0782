import type { Backend } from './result.js';

/** The chains kubelet creates and azure-npm looks for, and the exact commands azure-npm runs to find them. */

export const HINT_CHAIN = 'KUBE-IPTABLES-HINT';
export const CANARY_CHAIN = 'KUBE-KUBELET-CANARY';
export const PROBE_TABLE = 'mangle';

/** azure-npm looks for the hint first, then the canary, and stops at the first one found. */
export const PROBE_CHAINS = [HINT_CHAIN, CANARY_CHAIN] as const;

export type Family = 'ipv4' | 'ipv6';

/** azure-npm tries nft first and uses it if it finds a chain there; only then legacy. */
export const BACKEND_ORDER: readonly Backend[] = ['nft', 'legacy'];

const BINARIES: Record<Family, Record<Backend, string>> = {
  ipv4: { nft: 'iptables-nft', legacy: 'iptables-legacy' },
  ipv6: { nft: 'ip6tables-nft', legacy: 'ip6tables-legacy' },
};

export function binaryFor(family: Family, backend: Backend): string {
  return BINARIES[family][backend];
}

/** `<bin> -w 60 -L <chain> -t mangle -n`, exactly as azure-npm runs it. */
export function listChainCommand(binary: string, chain: string): string[] {
  return [binary, '-w', '60', '-L', chain, '-t', PROBE_TABLE, '-n'];
}
