/**
 * The soak's API faults on either control plane, behind one seam. memory: the in-memory API server's own fault
 * rules (every HTTP client meets them: the replicas, and the soak's own watches and reads). real: the
 * workshop's fault proxy (tools/control-plane/fault-proxy.ts) between the replicas and kube-apiserver, playing
 * the same rules on the replicas' requests alone; the soak and the simulated kubelets talk to the apiserver
 * directly.
 */
import type { SimCluster } from '../sim/cluster.js';
import { seededRandom, type FaultRule } from '../sim/api/faults.js';
import type { RealSimCluster } from '../sim/real-cluster.js';
import type { SimulatedCluster } from '../sim/simulated-cluster.js';
import { startFaultProxy, type FaultAnswer, type ProxiedRequest } from '../control-plane/fault-proxy.js';

/** The API faults the soak keeps on: every request may fail, watches may drop. */
export const SOAK_FAULT_RULES: FaultRule[] = [
  { verb: 'get', errorRate: 0.03, errorCode: 500 },
  { verb: 'list', errorRate: 0.05, errorCode: 500 },
  { verb: 'create', errorRate: 0.03, errorCode: 503, retryAfterSeconds: 1 },
  { verb: 'patch', errorRate: 0.03, errorCode: 429, retryAfterSeconds: 1 },
  { verb: 'update', errorRate: 0.03, errorCode: 500 },
  { verb: 'delete', errorRate: 0.03, errorCode: 500 },
  { verb: 'watch', errorRate: 0.03, errorCode: 500, dropWatchProbability: 0.02, dropWatchAbruptly: true },
];

export interface SoakFaults {
  /** The kubeconfig the operator replicas use: the cluster's own, or one through the fault proxy. */
  kubeconfig: string;
  /** Where the faults come from, for the report. */
  source: string;
  /** Turns the standing rules on (the chaos starts). */
  start(seed: number): void;
  forceGoneOnNextWatch(resource: string): void;
  conflictOnNextWrite(resource: string): void;
  /** Ends the watches being streamed; returns how many. */
  dropActiveWatches(abruptly: boolean): number;
  /** Turns every fault off (the chaos is over). */
  clear(): void;
  /** Answers by HTTP status, and the requests counted (what `source` can see). */
  statuses(): { byCode: (code: number) => number; requests: number; scope: string };
  /** One-shot faults a request really met, by kind, where the source can tell (the proxy); else undefined. */
  met(): Record<string, number> | undefined;
  stop(): Promise<void>;
}

export async function soakFaults(cluster: SimulatedCluster, dir: string): Promise<SoakFaults> {
  if (cluster.controlPlane === 'memory') return memoryFaults(cluster as SimCluster);
  return proxyFaults(cluster as RealSimCluster, dir);
}

function memoryFaults(cluster: SimCluster): SoakFaults {
  const faults = cluster.server.faults;
  const requests = cluster.server.requests;
  return {
    kubeconfig: cluster.kubeconfigPath,
    source: "the in-memory API server's fault rules",
    start(seed) {
      faults.reseed(seed);
      faults.set(SOAK_FAULT_RULES);
    },
    forceGoneOnNextWatch: (resource) => faults.forceGoneOnNextWatch({ resource }),
    conflictOnNextWrite: (resource) => faults.conflictOnNextWrite({ resource }),
    dropActiveWatches: (abruptly) => faults.dropActiveWatches({}, abruptly),
    clear: () => faults.clear(),
    statuses: () => ({
      byCode: (code) => requests.total({ code }),
      requests: requests.total(),
      scope: 'from every HTTP client of the in-memory API server: the replicas and the soak',
    }),
    met: () => undefined,
    stop: async () => undefined,
  };
}

async function proxyFaults(cluster: RealSimCluster, dir: string): Promise<SoakFaults> {
  let random = seededRandom(1);
  let on = false;
  const pendingGone: string[] = [];
  const pendingConflicts: string[] = [];
  const take = (list: string[], resource: string | undefined) => {
    const i = list.indexOf(resource ?? '');
    return i >= 0 && list.splice(i, 1).length > 0;
  };
  const decide = (r: ProxiedRequest): { name: string; answer: FaultAnswer } | undefined => {
    if (!on || r.verb === undefined) return undefined;
    if (r.verb === 'watch' && take(pendingGone, r.resource))
      return { name: '410 Gone forced on a watch', answer: { watchGone: true } };
    if ((r.verb === 'update' || r.verb === 'patch') && take(pendingConflicts, r.resource)) {
      const message = `Operation cannot be fulfilled on ${r.resource}: the object has been modified; please apply your changes to the latest version and try again`;
      return { name: 'conflicts forced on a write', answer: { status: 409, message } };
    }
    const rule = SOAK_FAULT_RULES.find((f) => f.verb === r.verb);
    if (!rule || random() >= (rule.errorRate ?? 1)) return undefined;
    const status = rule.errorCode ?? 500;
    return {
      name: `HTTP ${status}`,
      answer: {
        status,
        ...(rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : {}),
      },
    };
  };
  const proxy = await startFaultProxy({
    upstream: cluster.url,
    upstreamCaFile: cluster.cp.caFile,
    dir,
    record: false,
    decide,
  });
  return {
    kubeconfig: proxy.kubeconfigVia(cluster.kubeconfigPath, 'soak-operator'),
    source: 'the fault proxy between the replicas and kube-apiserver',
    start(seed) {
      random = seededRandom(seed);
      on = true;
    },
    forceGoneOnNextWatch: (resource) => void pendingGone.push(resource),
    conflictOnNextWrite: (resource) => void pendingConflicts.push(resource),
    dropActiveWatches: (abruptly) => proxy.dropActiveWatches(abruptly),
    clear() {
      on = false;
      pendingGone.splice(0);
      pendingConflicts.splice(0);
    },
    statuses: () => {
      const counts = proxy.counts();
      return {
        byCode: (code) => counts.statuses[code] ?? 0,
        requests: counts.requests,
        scope: 'from the replicas, through the proxy',
      };
    },
    met: () => {
      const served = proxy.counts().faults;
      return {
        '410 Gone met by a watch': served['410 Gone forced on a watch'] ?? 0,
        'conflicts met by a write': served['conflicts forced on a write'] ?? 0,
      };
    },
    stop: () => proxy.stop(),
  };
}
