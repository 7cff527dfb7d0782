/**
 * One simulated node's iptables: which (backend, family, table, chain) exist.
 * Built-in chains exist whenever their table does; user chains are listed explicitly.
 */
export type Backend = 'nft' | 'legacy';
export type Family = 'ipv4' | 'ipv6';
export type Table = 'filter' | 'nat' | 'mangle' | 'raw';

export const BUILTIN_CHAINS: Record<Table, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

/** The chains kubelet's one-shot init (and its Monitor) owns. */
export const KUBELET_CHAINS: ReadonlyArray<{ table: Table; chain: string }> = [
  { table: 'mangle', chain: 'KUBE-IPTABLES-HINT' },
  { table: 'filter', chain: 'KUBE-FIREWALL' },
  { table: 'mangle', chain: 'KUBE-KUBELET-CANARY' },
  { table: 'nat', chain: 'KUBE-KUBELET-CANARY' },
  { table: 'filter', chain: 'KUBE-KUBELET-CANARY' },
];

export interface ChainEntry {
  backend: Backend;
  family: Family;
  table: Table;
  chain: string;
}

const key = (e: ChainEntry) => `${e.backend}/${e.family}/${e.table}/${e.chain}`;
const tableKey = (backend: Backend, family: Family, table: Table) => `${backend}/${family}/${table}`;

export class NodeIptables {
  private readonly chains = new Set<string>();
  private readonly tables = new Set<string>();

  addTable(backend: Backend, family: Family, table: Table): void {
    this.tables.add(tableKey(backend, family, table));
  }

  addChain(entry: ChainEntry): void {
    this.addTable(entry.backend, entry.family, entry.table);
    this.chains.add(key(entry));
  }

  removeChain(entry: ChainEntry): void {
    this.chains.delete(key(entry));
  }

  hasTable(backend: Backend, family: Family, table: Table): boolean {
    return this.tables.has(tableKey(backend, family, table));
  }

  hasChain(entry: ChainEntry): boolean {
    if (!this.hasTable(entry.backend, entry.family, entry.table)) return false;
    return BUILTIN_CHAINS[entry.table].includes(entry.chain) || this.chains.has(key(entry));
  }

  /** True when the legacy backend has any table for the family (iptables-nft then warns on stderr). */
  hasLegacyTables(family: Family): boolean {
    for (const t of this.tables) if (t.startsWith(`legacy/${family}/`)) return true;
    return false;
  }

  /** `iptables -F; iptables -X` in every table of a backend: all user chains go, built-ins stay. */
  flushUserChains(backend: Backend): void {
    for (const k of [...this.chains]) if (k.startsWith(`${backend}/`)) this.chains.delete(k);
  }

  /** Every user chain, sorted, for the admin API and tests. */
  userChains(): ChainEntry[] {
    return [...this.chains].sort().map((k) => {
      const [backend, family, table, chain] = k.split('/') as [Backend, Family, Table, string];
      return { backend, family, table, chain };
    });
  }

  tableList(): string[] {
    return [...this.tables].sort();
  }
}
