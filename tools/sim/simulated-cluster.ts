/**
 * What a scenario, the demo, the soak and the bench need from a simulated cluster, whichever control plane serves
 * the API: `memory` (the in-memory API server and its actors, tools/sim/cluster.ts) or `real` (kube-apiserver,
 * etcd, kube-controller-manager and kube-scheduler from `make control-plane`, with the simulated nodes' kubelets
 * and hosts played over the Kubernetes REST API, tools/sim/real-cluster.ts). Everything a test asserts about the
 * cluster's objects goes through the API (`kubeconfigPath`); this handle only reaches what has no API: the
 * simulated hosts.
 */
import type { CommandResult } from '../../src/agent/runner.js';
import type { SimClock } from './actors/clock.js';
import type { RebootOptions } from './actors/admin-routes.js';
import type { BreakCause } from './actors/host.js';
import type { NodeIptables } from './actors/iptables-state.js';
import type { BreakOptions } from './broken-nodes.js';

export const CONTROL_PLANES = ['memory', 'real'] as const;
export type ControlPlaneKind = (typeof CONTROL_PLANES)[number];

export interface SimulatedCluster {
  controlPlane: ControlPlaneKind;
  /** The API server's URL. */
  url: string;
  /** A kubeconfig with full access to the API server (the operator's own identity is the tests' business). */
  kubeconfigPath: string;
  /** Base URL of the simulator's admin routes (`${adminUrl}/sim/nodes/:name/break`, ...). */
  adminUrl: string;
  /** The simulated hosts' clock (container back-off, agent waits); real controllers keep real time. */
  clock: SimClock;
  nodeNames(): string[];
  linuxNodeNames(): string[];
  windowsNodeNames(): string[];
  /** Nodes broken at start (and since), by cause; `latent` while azure-npm still runs on a race-broken node. */
  brokenNodes(): Array<{ node: string; cause: BreakCause; latent?: true }>;
  /**
   * Breaks a Linux node; azure-npm restarts at once and crash-loops. `{ latent: true }` (kubelet-init-race only):
   * kubelet restarts and loses the race (a Starting Event, its status posted) but azure-npm keeps running.
   */
  breakNode(name: string, cause: BreakCause, options?: BreakOptions): void;
  /**
   * Reboots a node (its kubelet must run): a new `status.nodeInfo.bootID`, a Starting Event, every container on it
   * started again (restartCount + 1); `{ loseRace: true }` (Linux): kubelet's init loses the race at boot, so
   * azure-npm then crash-loops.
   */
  rebootNode(name: string, options?: RebootOptions): void;
  /** The node's current boot ID (`status.nodeInfo.bootID` as its kubelet posts it). */
  bootId(name: string): string | undefined;
  /** azure-npm on the node got a fixed image: its container starts again and sees the chains. */
  repairNpmImage(name: string): void;
  setNodeReady(name: string, ready: boolean): void;
  /** The node's live iptables state (Linux nodes). */
  iptables(name: string): NodeIptables;
  /** kubelet restarts requested on the node through `systemctl restart` (by agents). */
  kubeletRestarts(name: string): number;
  /** The next agent container on the node fails. */
  failNextJob(name: string): void;
  /** The next `count` kubelet starts on the node lose the race again (init fails, no chains). */
  failKubeletInits(name: string, count: number): void;
  /** The name of the node's current azure-npm pod. */
  npmPodName(name: string): string | undefined;
  /** Runs a host command (systemctl, journalctl) on a Linux node, as the agent's host runner does. */
  runOnHost(name: string, argv: readonly string[]): Promise<CommandResult>;
  stop(): Promise<void>;
}
