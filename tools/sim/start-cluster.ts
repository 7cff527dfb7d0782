import { startSimCluster, type SimClusterOptions } from './cluster.js';
import { startRealSimCluster } from './real-cluster.js';
import type { ControlPlaneKind, SimulatedCluster } from './simulated-cluster.js';

/** What both control planes take; the memory plane's own options (port, churn) apply to it alone. */
export type ClusterOptions = SimClusterOptions;

/**
 * Starts the simulated cluster on either control plane. The real one must run inside a loopback-only network
 * namespace (tools/control-plane/isolated.ts `runIsolated` makes one).
 */
export function startCluster(kind: ControlPlaneKind, options: ClusterOptions): Promise<SimulatedCluster> {
  if (kind === 'memory') return startSimCluster(options);
  const { host, port, churnPerSecond, ...common } = options;
  if ((host !== undefined && host !== '127.0.0.1') || port || churnPerSecond)
    throw new Error('host, port and churnPerSecond apply to the memory control plane only');
  return startRealSimCluster(common);
}
