import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../control-plane/harness.js';
import { httpsGet } from '../control-plane/https-get.js';
import { startOperatorProcess } from './operator-process.js';
import { projectRoot } from './paths.js';

export interface QuietWatchOptions {
  minutes: number;
  /** kube-apiserver --etcd-compaction-interval (its default is 5m). */
  compaction: string;
  out: string;
}

export interface QuietWatchRow {
  resource: string;
  lists: number;
  watches: number;
  /** Watches the apiserver answered 410 Gone (the resourceVersion was compacted). */
  gone: number;
}

export interface QuietWatchResult {
  /** What the apiserver counted, per resource. */
  server: QuietWatchRow[];
  /** What the operator counted (chainmedic_watch_restarts_total), per informer. */
  restarts: Map<string, number>;
}

/** What the operator reads; the apiserver's own loopback informers watch everything else. */
const OPERATOR_RESOURCES = new Set([
  'nodes',
  'pods',
  'events',
  'jobs',
  'noderemediations',
  'remediationpolicies',
  'leases',
]);

/** `apiserver_request_total` for LIST and WATCH, summed per resource (and per code for WATCH 410). */
export function requestCounts(
  metrics: string,
): Map<string, { lists: number; watches: number; gone: number }> {
  const rows = new Map<string, { lists: number; watches: number; gone: number }>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (labels.verb !== 'LIST' && labels.verb !== 'WATCH') continue;
    const resource = labels.resource ?? '';
    if (!OPERATOR_RESOURCES.has(resource)) continue;
    const row = rows.get(resource) ?? { lists: 0, watches: 0, gone: 0 };
    if (labels.verb === 'LIST') row.lists += value;
    else if (labels.code === '410') row.gone += value;
    else row.watches += value;
    rows.set(resource, row);
  }
  return rows;
}

/** chainmedic_watch_restarts_total per resource label. */
export function operatorRestarts(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics.matchAll(/^chainmedic_watch_restarts_total\{resource="([^"]+)"\} (\d+)/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

async function apiserverMetrics(cp: ControlPlane): Promise<string> {
  const reply = await httpsGet(`${cp.server}/metrics`, readFileSync(cp.caFile), cp.adminToken, 30_000);
  if (reply.status !== 200) throw new Error(`apiserver /metrics answered ${reply.status}`);
  return reply.body;
}

/**
 * The operator against the real kube-apiserver with nothing changing for `minutes`: how often each of its
 * watches is re-opened, answered 410 and relisted. No controllers run, so the apiserver's request counters for
 * the resources the operator reads are the operator's (the apiserver's own loopback informers add one watch of
 * some of them, leases for one). The apiserver counts a watch when it ends: one still open is not counted.
 */
export async function runQuietWatches(options: QuietWatchOptions): Promise<QuietWatchResult> {
  mkdirSync(options.out, { recursive: true });
  const cp = await startControlPlane({ controllers: false, etcdCompactionInterval: options.compaction });
  try {
    execFileSync(
      cp.kubectl,
      ['--kubeconfig', cp.adminKubeconfig, 'apply', '-k', join(projectRoot(), 'manifests')],
      {
        stdio: 'ignore',
      },
    );
    execFileSync(cp.kubectl, [
      '--kubeconfig',
      cp.adminKubeconfig,
      'wait',
      '--for=condition=established',
      'crd',
      '--all',
      '--timeout=60s',
    ]);
    const operator = await startOperatorProcess({
      kubeconfig: cp.adminKubeconfig,
      logFile: join(options.out, 'operator.log'),
      leaderElect: true,
    });
    try {
      await operator.waitReady(60_000);
      const before = requestCounts(await apiserverMetrics(cp));
      await new Promise((resolve) => setTimeout(resolve, options.minutes * 60_000));
      const after = requestCounts(await apiserverMetrics(cp));
      const ours = await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`).then((r) => r.text());
      const rows: QuietWatchRow[] = [];
      for (const [resource, now] of after) {
        const then = before.get(resource) ?? { lists: 0, watches: 0, gone: 0 };
        const row = {
          resource,
          lists: now.lists - then.lists,
          watches: now.watches - then.watches,
          gone: now.gone - then.gone,
        };
        if (row.lists + row.watches + row.gone > 0) rows.push(row);
      }
      return {
        server: rows.sort((a, b) => a.resource.localeCompare(b.resource)),
        restarts: operatorRestarts(ours),
      };
    } finally {
      await operator.child.stop();
    }
  } finally {
    await cp.stop();
  }
}

export function renderQuietWatches(result: QuietWatchResult, options: QuietWatchOptions): string {
  const lines = [
    `Quiet watches: the operator against kube-apiserver v1.34 for ${options.minutes} min with nothing changing ` +
      `(etcd compaction every ${options.compaction})`,
    '',
    'A watch answered "too old resource version" by etcd gets it as an ERROR event in a 200 response, so it',
    'shows as a WATCH, and the relist that follows as a LIST. A watch still open at the end is not counted.',
    '',
    '| resource (apiserver_request_total) | LIST | WATCH ended | WATCH 410 (HTTP) |',
    '| --- | ---: | ---: | ---: |',
    ...result.server.map((r) => `| ${r.resource} | ${r.lists} | ${r.watches} | ${r.gone} |`),
    '',
    '| informer (chainmedic_watch_restarts_total) | restarts |',
    '| --- | ---: |',
    ...[...result.restarts].map(([informer, count]) => `| ${informer} | ${count} |`),
  ];
  return `${lines.join('\n')}\n`;
}
