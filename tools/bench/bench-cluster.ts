/**
 * What the bench needs from the cluster it measures against, on either control plane: an admin kubeconfig, the
 * operator's own kubeconfig, the operator's requests counted on the server side, the fleet timeline, and the
 * burst. `memory`: the simulated cluster in a child process (sim-process.ts), its request log and store-side
 * timeline. `real`: real-bench-cluster.ts.
 */
import type { ControlPlaneKind } from '../sim/simulated-cluster.js';
import type { TimelineReport } from './timeline-report.js';

export type RequestCounts = Record<string, Record<string, number>>;

export interface BenchCluster {
  controlPlane: ControlPlaneKind;
  /** Full access (policy, baseline). */
  adminKubeconfig: string;
  /** What the operator runs with (on real, its own ServiceAccount: only its requests are counted). */
  operatorKubeconfig: string;
  /** Where the request counts come from, in words. */
  requestSource: string;
  /** Where the timeline's times are stamped, in words. */
  timelineSource: string;
  /** The operator's watches open now (for `resource`, or all of them). */
  activeWatches(resource?: string): Promise<number>;
  /** The operator's requests that ended since the last call (or since the start), by verb and resource. */
  takeRequests(): Promise<RequestCounts>;
  timeline(): Promise<TimelineReport>;
  breakNodes(count: number): Promise<{ nodes: string[]; atMs: number }>;
  kubeletRestarts(): Promise<number>;
  setMaxConcurrent(value: number): Promise<void>;
  /** After the baseline stopped: its requests must not count as the operator's. */
  afterBaseline(): Promise<void>;
  /** Facts about the cluster itself for the report (real: start times, nodes that went NotReady). */
  health(): Promise<ClusterHealth | null>;
  stop(): Promise<void>;
}

export interface ClusterHealth {
  /** etcd, kube-apiserver, controller-manager and scheduler ready. */
  controlPlaneStartMs: number;
  /** From the start until every node was registered and its azure-npm pod running. */
  clusterStartMs: number;
  /** Nodes whose Ready condition was seen other than True at any time after the start. */
  nodesEverNotReady: number;
  /** Those nodes (at most 20), each with the seconds since the cluster was up when it was first seen not Ready. */
  notReady: Array<{ node: string; afterS: number }>;
  /** Errors the simulated kubelets logged (Lease renewals, status posts), and the last one. */
  kubeletErrors: number;
  lastKubeletError: string | null;
}
