/**
 * The operator's API traffic on the real control plane, counted on the server side: kube-apiserver writes an
 * audit event for every request of one user (the operator's ServiceAccount) and nothing for anyone else, and
 * this reads them back. Counts match the simulated API server's request log (tools/sim/api/request-log.ts): one
 * per request when it ends (a watch is counted when it closes), by verb and resource ("noderemediations/status").
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One audit event, the fields read here (audit.k8s.io/v1 Event). */
export interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string };
  responseStatus?: { code?: number };
  stageTimestamp: string;
}

export interface AuditFiles {
  policyFile: string;
  logFile: string;
  /** The kube-apiserver flags that turn it on. */
  apiserverArgs: string[];
}

/**
 * Writes the audit policy into `dir` (the control plane's own folder): request metadata of `user` only, at the
 * stages a request is started (watches) and complete. Returns the flags for kube-apiserver.
 */
export function writeAuditPolicy(dir: string, user: string): AuditFiles {
  const policyFile = join(dir, 'audit-policy.yaml');
  const logFile = join(dir, 'audit.log');
  writeFileSync(
    policyFile,
    [
      'apiVersion: audit.k8s.io/v1',
      'kind: Policy',
      'omitStages: ["RequestReceived"]',
      'rules:',
      `  - level: Metadata`,
      `    users: [${JSON.stringify(user)}]`,
      '  - level: None',
      '',
    ].join('\n'),
  );
  return {
    policyFile,
    logFile,
    apiserverArgs: [
      `--audit-policy-file=${policyFile}`,
      `--audit-log-path=${logFile}`,
      '--audit-log-format=json',
      // Written as the request ends, not batched: a phase's requests are in the file when the phase ends.
      '--audit-log-mode=blocking',
      '--audit-log-maxsize=0',
    ],
  };
}

/** What the sim's request log calls a request: its verb, and the resource with its subresource. */
export function requestLabel(e: AuditEvent): { verb: string; resource: string } {
  const ref = e.objectRef;
  if (!ref?.resource) return { verb: e.verb, resource: e.requestURI.split('?')[0]! };
  return { verb: e.verb, resource: ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource };
}

/** verb -> resource -> count of the requests that ended. */
export function countRequests(events: readonly AuditEvent[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const e of events) {
    if (e.stage !== 'ResponseComplete' && e.stage !== 'Panic') continue;
    const { verb, resource } = requestLabel(e);
    const verbs = (out[verb] ??= {});
    verbs[resource] = (verbs[resource] ?? 0) + 1;
  }
  return out;
}

/** Reads an audit log as it grows; keeps the events not yet taken. */
export class AuditLogReader {
  private offset = 0;
  private partial = '';
  private pending: AuditEvent[] = [];
  /** Watches started minus ended, by resource, since the start. */
  private watches = new Map<string, number>();

  constructor(private readonly file: string) {}

  /** Reads what was appended since the last call. */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.partial += buffer.subarray(0, n).toString('utf8');
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const e = JSON.parse(line) as AuditEvent;
      if (e.verb === 'watch' && e.objectRef?.resource) {
        const r = e.objectRef.resource;
        const delta = e.stage === 'ResponseStarted' ? 1 : e.stage === 'ResponseComplete' ? -1 : 0;
        this.watches.set(r, (this.watches.get(r) ?? 0) + delta);
      }
      this.pending.push(e);
    }
  }

  /** Watches of `resource` open now (or of every resource). */
  activeWatches(resource?: string): number {
    this.poll();
    if (resource !== undefined) return this.watches.get(resource) ?? 0;
    return [...this.watches.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * The requests that ended at or before `untilMs` and were not taken yet, by verb and resource. Waits
   * `settleMs` first, so a request that ended just before is in the file.
   */
  async take(untilMs: number, settleMs = 500): Promise<Record<string, Record<string, number>>> {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    this.poll();
    const taken: AuditEvent[] = [];
    const kept: AuditEvent[] = [];
    for (const e of this.pending) (Date.parse(e.stageTimestamp) <= untilMs ? taken : kept).push(e);
    this.pending = kept;
    return countRequests(taken);
  }
}
