/**
 * The bench's cluster on the real control plane: `startRealSimCluster` (etcd, kube-apiserver, controller-manager,
 * scheduler, simulated kubelets over REST) in this process, which must be in a loopback-only network namespace.
 * The operator runs as a ServiceAccount of its own; kube-apiserver audits that user's requests only (metadata),
 * and the counts come from that audit log. The timeline is fed by watches (api-recorder.ts): times are when a
 * watch event reached this process, not when the server stored the write.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_NAMESPACE } from '../../src/config.js';
import { loadKubeConfig } from '../../src/kube/client.js';
import type { Cached } from '../../src/kube/cached.js';
import { isAlreadyExists } from '../../src/kube/errors.js';
import { Informer } from '../../src/kube/informer.js';
import { KubeRest } from '../../src/kube/rest.js';
import { startRealSimCluster } from '../sim/real-cluster.js';
import { recordApi } from './api-recorder.js';
import { AuditLogReader, writeAuditPolicy } from './audit-log.js';
import type { BenchCluster, ClusterHealth } from './bench-cluster.js';
import { installCrds } from './cluster-setup.js';
import { pickSpread } from './sim-routes.js';
import { FleetTimeline } from './timeline.js';
import { timelineReport } from './timeline-report.js';

export const BENCH_OPERATOR_SERVICE_ACCOUNT = 'chainmedic-operator';
export const BENCH_OPERATOR_USER = `system:serviceaccount:${DEFAULT_NAMESPACE}:${BENCH_OPERATOR_SERVICE_ACCOUNT}`;

export interface RealBenchClusterOptions {
  nodes: number;
  windows: number;
  seed: number;
  timeScale: number;
  /** The audit log is copied here at the end. */
  outDir: string;
  log: (line: string) => void;
}

interface NodeReady extends Cached {
  ready: boolean;
}

/**
 * The operator's ServiceAccount, bound to cluster-admin (its requests are what is measured; the shipped RBAC is
 * checked by the control-plane tests), and a kubeconfig with a token for it.
 */
async function operatorIdentity(
  rest: KubeRest,
  kubeconfigFor: (name: string, token: string) => string,
): Promise<string> {
  const create = async (path: string, body: unknown) => {
    try {
      await rest.create(path, body);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  };
  await create(`/api/v1/namespaces/${DEFAULT_NAMESPACE}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: BENCH_OPERATOR_SERVICE_ACCOUNT, namespace: DEFAULT_NAMESPACE },
  });
  await create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'chainmedic-bench-operator' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [
      { kind: 'ServiceAccount', name: BENCH_OPERATOR_SERVICE_ACCOUNT, namespace: DEFAULT_NAMESPACE },
    ],
  });
  const request = await rest.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${DEFAULT_NAMESPACE}/serviceaccounts/${BENCH_OPERATOR_SERVICE_ACCOUNT}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 24 * 3600 },
    },
  );
  return kubeconfigFor(BENCH_OPERATOR_USER, request.status.token);
}

/** Counts what the simulated kubelets log as errors (they log through console.error), keeping the last one. */
function countConsoleErrors(): { count: () => number; last: () => string | null; restore: () => void } {
  const original = console.error;
  let count = 0;
  let last: string | null = null;
  console.error = (...args: unknown[]) => {
    count++;
    last = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
    original(...args);
  };
  return { count: () => count, last: () => last, restore: () => (console.error = original) };
}

export async function startRealBenchCluster(o: RealBenchClusterOptions): Promise<BenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-bench-cp-'));
  const audit = writeAuditPolicy(dir, BENCH_OPERATOR_USER);
  const errors = countConsoleErrors();
  const started = Date.now();
  const cluster = await startRealSimCluster({
    linuxNodes: o.nodes,
    windowsNodes: o.windows,
    seed: o.seed,
    timeScale: o.timeScale,
    controlPlane: { dir, apiserverArgs: audit.apiserverArgs, readyTimeoutMs: 180_000 },
  }).catch((err: unknown) => {
    errors.restore();
    throw err;
  });
  const clusterStartMs = Date.now() - started;
  const stops: Array<() => Promise<void>> = [];
  try {
    const rest = new KubeRest(loadKubeConfig(cluster.kubeconfigPath));
    await installCrds(rest);
    const operatorKubeconfig = await operatorIdentity(rest, cluster.cp.kubeconfigFor);
    const timeline = new FleetTimeline();
    stops.push(await recordApi(rest, timeline));

    // Readiness of every node, as the node lifecycle controller judges it from the kubelets' Leases.
    const everNotReady = new Map<string, number>();
    const notReadyNow = new Set<string>();
    const upAt = Date.now();
    const nodes = new Informer<NodeReady>({
      rest,
      path: '/api/v1/nodes',
      transform: (raw) => {
        const node = raw as Cached & { status?: { conditions?: Array<{ type: string; status: string }> } };
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return { metadata: node.metadata, ready };
      },
    });
    nodes.on((event) => {
      const name = event.object.metadata.name;
      if (event.type !== 'delete' && !event.object.ready) notReadyNow.add(name);
      else notReadyNow.delete(name);
      if (event.type !== 'delete' && !event.object.ready && !everNotReady.has(name))
        everNotReady.set(name, Math.round((Date.now() - upAt) / 100) / 10);
    });
    nodes.start();
    stops.push(() => nodes.stop());
    await nodes.waitForSync();

    const audited = new AuditLogReader(audit.logFile);
    // The burst breaks Ready nodes only: a node the node lifecycle controller marked not Ready stays so until its
    // kubelet's next status report (every ten Lease renewals), and the operator rightly waits there.
    const pickable = () => {
      const broken = new Set(cluster.brokenNodes().map((b) => b.node));
      return cluster.linuxNodeNames().filter((n) => !broken.has(n) && !notReadyNow.has(n));
    };
    let stopped = false;
    return {
      controlPlane: 'real',
      adminKubeconfig: cluster.kubeconfigPath,
      operatorKubeconfig,
      requestSource: `kube-apiserver's audit log, user ${BENCH_OPERATOR_USER} only`,
      timelineSource: 'watch events as they reach the bench process',
      activeWatches: (resource) => Promise.resolve(audited.activeWatches(resource)),
      takeRequests: () => audited.take(Date.now()),
      timeline: () => Promise.resolve(timelineReport(timeline)),
      breakNodes(count) {
        const picked = pickSpread(pickable(), Math.max(0, count));
        const atMs = Date.now();
        for (const node of picked) cluster.breakNode(node, 'kubelet-init-race');
        return Promise.resolve({ nodes: picked, atMs });
      },
      kubeletRestarts: () =>
        Promise.resolve(cluster.linuxNodeNames().reduce((n, node) => n + cluster.kubeletRestarts(node), 0)),
      setMaxConcurrent(value) {
        timeline.maxConcurrent = value;
        return Promise.resolve();
      },
      // The baseline runs as the admin: the audit log never had its requests.
      afterBaseline: () => Promise.resolve(),
      health: (): Promise<ClusterHealth> =>
        Promise.resolve({
          controlPlaneStartMs: cluster.cp.startMs,
          clusterStartMs,
          nodesEverNotReady: everNotReady.size,
          notReady: [...everNotReady].slice(0, 20).map(([node, afterS]) => ({ node, afterS })),
          kubeletErrors: errors.count(),
          lastKubeletError: errors.last(),
        }),
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
        try {
          copyFileSync(audit.logFile, join(o.outDir, 'audit.log'));
          copyFileSync(cluster.cp.logs.apiserver, join(o.outDir, 'kube-apiserver.log'));
        } catch {
          // Nothing was audited (the operator never ran) or the logs are gone.
        }
        await cluster.stop();
        errors.restore();
      },
    };
  } catch (err) {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    await cluster.stop();
    errors.restore();
    throw err;
  }
}
