import type { TimelineReport } from './timeline-report.js';

export interface RequestCount {
  verb: string;
  resource: string;
  code: number;
  count: number;
}

/** The simulated cluster's admin API (/sim/...), over HTTP. */
export class SimAdminClient {
  constructor(readonly url: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  async requests(): Promise<RequestCount[]> {
    return (await this.call<{ counts: RequestCount[] }>('GET', '/sim/requests')).counts;
  }

  async resetRequests(): Promise<void> {
    await this.call('POST', '/sim/requests/reset');
  }

  async activeWatches(resource?: string): Promise<number> {
    const query = resource ? `?resource=${encodeURIComponent(resource)}` : '';
    return (await this.call<{ active: number }>('GET', `/sim/watches${query}`)).active;
  }

  timeline(): Promise<TimelineReport> {
    return this.call('GET', '/sim/bench/timeline');
  }

  breakNodes(count: number, cause = 'kubelet-init-race'): Promise<{ nodes: string[]; atMs: number }> {
    return this.call('POST', '/sim/bench/break', { count, cause });
  }

  restarts(): Promise<{ total: number; byNode: Record<string, number> }> {
    return this.call('GET', '/sim/bench/restarts');
  }

  async setMaxConcurrent(value: number): Promise<void> {
    await this.call('POST', '/sim/bench/max-concurrent', { value });
  }
}

/** Sums request counts over status codes: verb -> resource -> count. */
export function byVerbAndResource(counts: readonly RequestCount[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of counts) {
    const verbs = (out[c.verb] ??= {});
    verbs[c.resource] = (verbs[c.resource] ?? 0) + c.count;
  }
  return out;
}
