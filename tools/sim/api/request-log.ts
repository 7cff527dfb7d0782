/** Counts of served requests by verb, resource and status code, resettable. */

/** How the simulated kubelets introduce themselves (kubelet's own is `kubelet/v1.34.2 (linux/amd64) ...`). */
export const SIM_KUBELET_USER_AGENT = 'kubelet/v1.34.2 (linux/amd64) chainmedic-sim';

/**
 * Whether a request came from a simulated kubelet. The kubelets play the cluster: the request log, the watch
 * count and the injected faults (tools/sim/api/faults.ts) are about the clients under test (the operator,
 * kubectl), and leave them out.
 */
export const isSimKubelet = (userAgent: string | undefined): boolean => userAgent === SIM_KUBELET_USER_AGENT;

export interface RequestRecord {
  method: string;
  path: string;
  verb: string;
  resource: string;
  code: number;
  /** A server-side dry run (`dryRun=All`): it stored nothing. Absent for every other request. */
  dryRun?: true;
  /** The client's User-Agent header, when it sent one. */
  userAgent?: string;
}

export interface RequestCount {
  verb: string;
  resource: string;
  code: number;
  /** Counts dry runs only (they are counted apart from the writes they rehearse). */
  dryRun?: true;
  count: number;
}

export interface RequestFilter {
  verb?: string;
  resource?: string;
  code?: number;
  /** true: dry runs only; false: no dry runs; omitted: both. */
  dryRun?: boolean;
}

export class RequestLog {
  private counts = new Map<string, RequestCount>();
  private recentRecords: RequestRecord[] = [];
  private since = new Date();

  constructor(private readonly keepRecent = 1000) {}

  record(entry: RequestRecord): void {
    const key = `${entry.verb}\0${entry.resource}\0${entry.code}\0${entry.dryRun ? 'dry' : ''}`;
    const existing = this.counts.get(key);
    if (existing) existing.count++;
    else
      this.counts.set(key, {
        verb: entry.verb,
        resource: entry.resource,
        code: entry.code,
        ...(entry.dryRun ? { dryRun: true as const } : {}),
        count: 1,
      });
    this.recentRecords.push(entry);
    if (this.recentRecords.length > this.keepRecent)
      this.recentRecords.splice(0, this.recentRecords.length - this.keepRecent);
  }

  reset(): void {
    this.counts = new Map();
    this.recentRecords = [];
    this.since = new Date();
  }

  /** Total requests matching every given attribute (dry runs included unless `dryRun: false`). */
  total(filter: RequestFilter = {}): number {
    let sum = 0;
    for (const c of this.counts.values()) {
      if (filter.verb !== undefined && c.verb !== filter.verb) continue;
      if (filter.resource !== undefined && c.resource !== filter.resource) continue;
      if (filter.code !== undefined && c.code !== filter.code) continue;
      if (filter.dryRun !== undefined && (c.dryRun === true) !== filter.dryRun) continue;
      sum += c.count;
    }
    return sum;
  }

  all(): RequestCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }

  recent(): RequestRecord[] {
    return [...this.recentRecords];
  }

  snapshot(): { since: string; total: number; counts: RequestCount[] } {
    return { since: this.since.toISOString(), total: this.total(), counts: this.all() };
  }
}
