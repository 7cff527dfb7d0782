import { KUBELET_CHAINS, NodeIptables, type Backend, type Family, type Table } from './iptables-state.js';
import { journalPrefix, klogHeader } from './klog.js';

export type BreakCause = 'kubelet-init-race' | 'npm-image-bug';
export const BREAK_CAUSES: readonly BreakCause[] = ['kubelet-init-race', 'npm-image-bug'];

export const KUBELET_UNIT = 'kubelet.service';
export const IPTABLES_UNIT = 'iptables.service';

const KUBE_PROXY_CHAINS: ReadonlyArray<{ table: Table; chain: string }> = [
  { table: 'nat', chain: 'KUBE-SERVICES' },
  { table: 'nat', chain: 'KUBE-POSTROUTING' },
  { table: 'nat', chain: 'KUBE-MARK-MASQ' },
  { table: 'filter', chain: 'KUBE-SERVICES' },
  { table: 'filter', chain: 'KUBE-FORWARD' },
  { table: 'mangle', chain: 'KUBE-PROXY-CANARY' },
  { table: 'nat', chain: 'KUBE-PROXY-CANARY' },
  { table: 'filter', chain: 'KUBE-PROXY-CANARY' },
];
const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];
const TABLES: readonly Table[] = ['filter', 'nat', 'mangle', 'raw'];
const PROTOCOL: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };
const JOURNAL_LIMIT = 400;
/** A reboot answers this long after the machine went down: its units started in that time (simulated ms). */
const REBOOT_MS = 10_000;

interface JournalLine {
  wallMs: number;
  ident: string;
  pid: number;
  text: string;
}

/**
 * The host side of one simulated Linux node: its iptables, the kubelet and
 * iptables systemd units, the kubelet journal of the current boot, and why the
 * node is broken. A model only: no timers, no store; actors drive it.
 */
export class SimHost {
  readonly iptables = new NodeIptables();
  /** The backend this host's kubelet (and kube-proxy) use: nft normally, legacy on legacy-only hosts. */
  backend: Backend = 'nft';
  brokenCause: BreakCause | null = null;
  /** How many upcoming kubelet starts lose the race with the iptables unit. */
  failingInits = 0;
  /** kubelet restarts requested through `systemctl restart` (what an agent did). */
  kubeletRestarts = 0;
  /** Whether kubelet's iptables Monitor runs (only after a successful init). */
  monitorActive = false;
  private kubeletPid: number;
  private readonly unitStarts = new Map<string, number>();
  private readonly journal: JournalLine[] = [];
  private readonly restartListeners = new Set<(host: SimHost) => void>();
  private readonly flushListeners = new Set<(host: SimHost) => void>();

  constructor(
    readonly name: string,
    options: { bootWallMs: number; pid: number },
  ) {
    this.kubeletPid = options.pid;
    for (const family of FAMILIES) {
      for (const table of TABLES) this.iptables.addTable('nft', family, table);
      for (const c of KUBE_PROXY_CHAINS) this.iptables.addChain({ backend: 'nft', family, ...c });
    }
    // As on the incident's hosts: some legacy tables exist, so iptables-nft listings warn about them.
    this.iptables.addTable('legacy', 'ipv4', 'filter');
    this.unitStarts.set(IPTABLES_UNIT, options.bootWallMs + 4_000);
    this.startKubelet(options.bootWallMs + 9_000);
  }

  /** Subscribes to kubelet (re)starts requested through systemctl. */
  onKubeletRestart(listener: (host: SimHost) => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  /** Subscribes to iptables unit restarts (which flush every user chain). */
  onIptablesFlush(listener: (host: SimHost) => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  unitStartedAt(unit: string): number | undefined {
    return this.unitStarts.get(unit);
  }

  hasUnit(unit: string): boolean {
    return this.unitStarts.has(unit);
  }

  /** `systemctl restart <unit>` on this host. */
  restartUnit(unit: string, wallMs: number): void {
    if (unit === KUBELET_UNIT) {
      this.kubeletRestarts++;
      this.kubeletPid += 1 + (this.kubeletRestarts % 7) * 131;
      this.startKubelet(wallMs);
      for (const listener of this.restartListeners) listener(this);
    } else if (unit === IPTABLES_UNIT) {
      this.restartIptablesUnit(wallMs);
      for (const listener of this.flushListeners) listener(this);
    }
  }

  /** The iptables unit's stop script runs `iptables -F; iptables -X`: every user chain of the host backend goes. */
  restartIptablesUnit(wallMs: number): void {
    this.log(wallMs, 'systemd', 1, 'Stopping iptables.service - IPv4 firewall with iptables...');
    this.iptables.flushUserChains(this.backend);
    this.log(wallMs, 'systemd', 1, 'Stopped iptables.service - IPv4 firewall with iptables.');
    const started = this.nextStart(IPTABLES_UNIT, wallMs);
    this.unitStarts.set(IPTABLES_UNIT, started);
    this.log(started, 'systemd', 1, 'Started iptables.service - IPv4 firewall with iptables.');
  }

  /** What kubelet's Monitor does after a flush it notices: re-create its chains (kube-proxy does its own). */
  resyncAfterFlush(): void {
    if (!this.monitorActive) return;
    this.createChains(KUBELET_CHAINS);
    this.createChains(KUBE_PROXY_CHAINS);
  }

  /** kubelet start: the one-shot initNetworkUtil for each family, which loses the race when told to. */
  private startKubelet(wallMs: number): void {
    const started = this.nextStart(KUBELET_UNIT, wallMs);
    this.unitStarts.set(KUBELET_UNIT, started);
    this.log(started, 'systemd', 1, 'Started kubelet.service - Kubernetes Kubelet.');
    this.log(
      started + 180,
      'kubelet',
      this.kubeletPid,
      this.klog(started + 180, 'server.go:484', '"Kubelet version" kubeletVersion="v1.30.5"'),
    );
    const initAt = started + 1_250;
    if (this.failingInits > 0) {
      this.failingInits--;
      this.monitorActive = false;
      this.brokenCause ??= 'kubelet-init-race';
      this.log(
        initAt,
        'kubelet',
        this.kubeletPid,
        `iptables v1.8.10 (nf_tables): Chain 'KUBE-FIREWALL' does not exist`,
      );
      this.log(
        initAt,
        'kubelet',
        this.kubeletPid,
        "Try `iptables -h' or 'iptables --help' for more information.",
      );
      for (const family of FAMILIES) {
        this.log(
          initAt,
          'kubelet',
          this.kubeletPid,
          this.klog(
            initAt,
            'kubelet_network_linux.go:58',
            `"Failed to initialize iptables rules; some functionality may be missing." protocol="${PROTOCOL[family]}"`,
          ),
        );
      }
      return;
    }
    this.createChains(KUBELET_CHAINS);
    this.monitorActive = true;
    if (this.brokenCause === 'kubelet-init-race') this.brokenCause = null;
    for (const family of FAMILIES) {
      this.log(
        initAt,
        'kubelet',
        this.kubeletPid,
        this.klog(
          initAt,
          'kubelet_network_linux.go:50',
          `"Initialized iptables rules." protocol="${PROTOCOL[family]}"`,
        ),
      );
    }
  }

  /**
   * The incident: `systemctl restart iptables` flushes user chains while kubelet
   * starts, kubelet's init fails and nothing retries it.
   */
  breakByInitRace(wallMs: number): void {
    this.brokenCause = 'kubelet-init-race';
    this.restartIptablesUnit(wallMs);
    this.failingInits = Math.max(this.failingInits, 1);
    this.kubeletPid += 977;
    this.startKubelet(wallMs + 600);
    // kube-proxy re-creates its own chains on its next sync; kubelet's stay missing.
    this.createChains(KUBE_PROXY_CHAINS);
  }

  /**
   * The same break, but kubelet restarted on its own (not through an agent's `systemctl restart`): its restart
   * listeners hear of it (the node's kubelet posts its status and a Starting Event), azure-npm is not restarted
   * and keeps running on what it detected before, so the node is broken but silent ("latent"). Not counted in
   * `kubeletRestarts`.
   */
  breakLatent(wallMs: number): void {
    this.breakByInitRace(wallMs);
    for (const listener of this.restartListeners) listener(this);
  }

  /**
   * The machine rebooted: a new boot whose journal starts empty, every user chain gone, the iptables unit and
   * kubelet started at boot, kube-proxy's chains re-created. With `loseRace` the iptables unit starts while kubelet
   * starts and kubelet's init fails (as `fail-kubelet-inits` makes the next start fail). Not a `systemctl restart`:
   * `kubeletRestarts` does not count it, and its restart listeners are not told (the node's kubelet side is).
   */
  reboot(wallMs: number, options: { loseRace?: boolean } = {}): void {
    const boot = wallMs - REBOOT_MS;
    this.journal.length = 0;
    this.monitorActive = false;
    for (const backend of ['nft', 'legacy'] as const) this.iptables.flushUserChains(backend);
    this.kubeletPid = 1000 + ((this.kubeletPid * 7 + 13) % 5000);
    if (options.loseRace) this.failingInits = Math.max(this.failingInits, 1);
    const iptablesAt = this.nextStart(IPTABLES_UNIT, boot + (options.loseRace ? 8_400 : 4_000));
    this.unitStarts.set(IPTABLES_UNIT, iptablesAt);
    this.log(iptablesAt, 'systemd', 1, 'Started iptables.service - IPv4 firewall with iptables.');
    this.startKubelet(boot + 9_000);
    this.createChains(KUBE_PROXY_CHAINS);
  }

  /**
   * A legacy-only host with an azure-npm image whose iptables-legacy is wrong for it:
   * the chains exist (in legacy), yet azure-npm cannot see them.
   */
  breakByNpmImageBug(): void {
    this.brokenCause = 'npm-image-bug';
    this.backend = 'legacy';
    const userChains = this.iptables.userChains();
    this.iptables.flushUserChains('nft');
    for (const c of userChains) this.iptables.addChain({ ...c, backend: 'legacy' });
    for (const family of FAMILIES)
      for (const table of TABLES) this.iptables.addTable('legacy', family, table);
  }

  /** azure-npm was upgraded to a fixed image: the node's azure-npm sees its chains again. */
  repairNpmImage(): void {
    if (this.brokenCause === 'npm-image-bug') this.brokenCause = null;
  }

  /** Journal lines of a unit for the current boot, oldest first, at most `limit`. */
  journalFor(unit: string, limit: number): string[] {
    const ident = unit.replace(/\.service$/, '');
    const lines = this.journal
      .filter((l) => l.ident === ident || (l.ident === 'systemd' && l.text.includes(unit)))
      .map((l) => `${journalPrefix(l.wallMs, this.name, l.ident, l.pid)}${l.text}`);
    return lines.slice(Math.max(0, lines.length - limit));
  }

  private createChains(chains: ReadonlyArray<{ table: Table; chain: string }>): void {
    for (const family of FAMILIES)
      for (const c of chains) this.iptables.addChain({ backend: this.backend, family, ...c });
  }

  private klog(wallMs: number, source: string, message: string): string {
    return `${klogHeader('I', wallMs, this.kubeletPid, source)}${message}`;
  }

  private log(wallMs: number, ident: string, pid: number, text: string): void {
    this.journal.push({ wallMs, ident, pid, text });
    if (this.journal.length > JOURNAL_LIMIT) this.journal.splice(0, this.journal.length - JOURNAL_LIMIT);
  }

  /** systemd shows start times to the second: keep successive starts distinguishable. */
  private nextStart(unit: string, wallMs: number): number {
    const previous = this.unitStarts.get(unit);
    if (previous === undefined) return wallMs;
    return Math.floor(wallMs / 1000) <= Math.floor(previous / 1000)
      ? (Math.floor(previous / 1000) + 1) * 1000
      : wallMs;
  }
}
