import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/kube/client.js';
import { startSimCluster } from '../sim/cluster.js';

/** What starting and serving the simulated cluster costs at one size. */
export interface SimScaleFigures {
  linuxNodes: number;
  windowsNodes: number;
  startMs: number;
  heapMB: number;
  rssMB: number;
  /** Every node listed with the real client library in pages of 500. */
  pagedListMs: number;
  pages: number;
  /** The same in one unpaged list. */
  fullListMs: number;
}

export interface SimScaleReport {
  target: SimScaleFigures;
  /** The same measurement at a tenth of the size, in the same process and run. */
  baseline: SimScaleFigures;
}

const MB = 1024 * 1024;

async function measure(linuxNodes: number, windowsNodes: number): Promise<SimScaleFigures> {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const cluster = await startSimCluster({ linuxNodes, windowsNodes, seed: 1, churnPerSecond: 0 });
  try {
    const startMs = performance.now() - started;
    const memory = process.memoryUsage();
    const core = loadKubeConfig(cluster.kubeconfigPath).makeApiClient(CoreV1Api);
    const pagedStart = performance.now();
    let pages = 0;
    let seen = 0;
    let continueToken: string | undefined;
    do {
      const page = await core.listNode({
        limit: 500,
        ...(continueToken ? { _continue: continueToken } : {}),
      });
      pages++;
      seen += page.items.length;
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken);
    const pagedListMs = performance.now() - pagedStart;
    if (seen !== linuxNodes + windowsNodes) {
      throw new Error(`listed ${seen} nodes in pages, expected ${linuxNodes + windowsNodes}`);
    }
    const fullStart = performance.now();
    const full = await core.listNode();
    const fullListMs = performance.now() - fullStart;
    if (full.items.length !== seen) throw new Error(`unpaged list returned ${full.items.length} nodes`);
    return {
      linuxNodes,
      windowsNodes,
      startMs,
      heapMB: (memory.heapUsed - heapBefore) / MB,
      rssMB: memory.rss / MB,
      pagedListMs,
      pages,
      fullListMs,
    };
  } finally {
    await cluster.stop();
  }
}

/** The small size runs first, so the large one does not leave garbage in its figures. */
export async function measureSimScale(linuxNodes: number, windowsNodes: number): Promise<SimScaleReport> {
  const baseline = await measure(Math.max(1, Math.round(linuxNodes / 10)), Math.round(windowsNodes / 10));
  const target = await measure(linuxNodes, windowsNodes);
  return { target, baseline };
}

export function renderSimScale(report: SimScaleReport): string {
  const { target: t, baseline: b } = report;
  const nodes = (f: SimScaleFigures) => f.linuxNodes + f.windowsNodes;
  const perNode = (value: number, f: SimScaleFigures) => value / nodes(f);
  const row = (label: string, tv: number, bv: number, unit: string) => {
    const ratio = perNode(tv, t) / perNode(bv, b);
    return `${label.padEnd(22)} ${`${tv.toFixed(1)} ${unit}`.padStart(12)} ${`${bv.toFixed(1)} ${unit}`.padStart(12)} ${ratio.toFixed(2).padStart(14)}`;
  };
  return [
    `simulated cluster at ${nodes(t)} nodes (${t.linuxNodes} linux + ${t.windowsNodes} windows), baseline ${nodes(b)} nodes`,
    `${'figure'.padEnd(22)} ${'target'.padStart(12)} ${'baseline'.padStart(12)} ${'per-node ratio'.padStart(14)}`,
    row('start (nodes + pods)', t.startMs, b.startMs, 'ms'),
    row('heap after start', t.heapMB, b.heapMB, 'MB'),
    row(`paged list (${t.pages} pages)`, t.pagedListMs, b.pagedListMs, 'ms'),
    row('unpaged list', t.fullListMs, b.fullListMs, 'ms'),
    `process RSS after start: ${t.rssMB.toFixed(0)} MB. A per-node ratio near 1 means the cost grows linearly with the fleet.`,
  ].join('\n');
}
