/** Counts of served requests by verb, resource and status code, resettable. */

export interface RequestRecord {
  method: string;
  path: string;
  verb: string;
  resource: string;
  code: number;
}

export interface RequestCount {
  verb: string;
  resource: string;
  code: number;
  count: number;
}

export class RequestLog {
  private counts = new Map<string, RequestCount>();
  private recentRecords: RequestRecord[] = [];
  private since = new Date();

  constructor(private readonly keepRecent = 1000) {}

  record(entry: RequestRecord): void {
    const key = `${entry.verb}\0${entry.resource}\0${entry.code}`;
    const existing = this.counts.get(key);
    if (existing) existing.count++;
    else this.counts.set(key, { verb: entry.verb, resource: entry.resource, code: entry.code, count: 1 });
    this.recentRecords.push(entry);
    if (this.recentRecords.length > this.keepRecent)
      this.recentRecords.splice(0, this.recentRecords.length - this.keepRecent);
  }

  reset(): void {
    this.counts = new Map();
    this.recentRecords = [];
    this.since = new Date();
  }

  /** Total requests matching every given attribute. */
  total(filter: { verb?: string; resource?: string; code?: number } = {}): number {
    let sum = 0;
    for (const c of this.counts.values()) {
      if (filter.verb !== undefined && c.verb !== filter.verb) continue;
      if (filter.resource !== undefined && c.resource !== filter.resource) continue;
      if (filter.code !== undefined && c.code !== filter.code) continue;
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
