/**
 * The test kit's environment: the operator on the simulated cluster (`startEnv`). Tests of the sim's API server
 * alone start it with `startSimApi` or `startHarness` (test/kit/sim-api.ts); the real control plane is
 * tools/control-plane.
 */
import { pino } from 'pino';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { API_VERSION, REMEDIATION_POLICY_KIND, type RemediationPolicySpec } from '../../src/api/index.js';
import { kubeClient } from '../../src/kube/client.js';
import {
  startOperator,
  type OperatorHandle,
  type StartOperatorOptions,
} from '../../src/operator/operator.js';
import { NODES, type KubeObject } from '../../tools/sim/api/types.js';
import { installChainmedicCrds } from './sim-api.js';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../../tools/sim/cluster.js';
import type { NodeRemediation } from '../../src/api/index.js';

/** The operator's namespace (its Lease, its webhook Secret) and its agent Jobs' (as the manifests install them). */
export const NAMESPACE = DEFAULT_NAMESPACE;
export const AGENT_NAMESPACE = DEFAULT_AGENT_NAMESPACE;

/** Fast, test-sized policy: short cooldown and timeouts (the sim runs its clock faster too). */
export const FAST_POLICY: RemediationPolicySpec = {
  cooldown: '1s',
  verifyTimeout: '20s',
  attemptWindow: '1h',
  maxUnhealthy: 10,
  maxConcurrent: 5,
  job: { timeout: '30s', agentWaitSeconds: 10, ttlAfterFinished: '1h' },
};

export interface Env {
  cluster: SimCluster;
  operators: OperatorHandle[];
  start(extra?: Partial<StartOperatorOptions>): Promise<OperatorHandle>;
  setPolicy(spec: RemediationPolicySpec): void;
  remediations(): NodeRemediation[];
  remediationsOn(node: string): NodeRemediation[];
  node(name: string): KubeObject;
  close(): Promise<void>;
}

export interface EnvOptions extends Partial<SimClusterOptions> {
  /** The `default` RemediationPolicy to create (FAST_POLICY when omitted); null: none. */
  policy?: RemediationPolicySpec | null;
  /** False: the chainmedic CRDs are not installed (a test that installs them itself, as `kubectl apply` does). */
  crds?: boolean;
}

export async function startEnv(options: EnvOptions = {}): Promise<Env> {
  const { policy, crds = true, ...clusterOptions } = options;
  const cluster = await startSimCluster({ linuxNodes: 3, timeScale: 0.01, seed: 7, ...clusterOptions });
  if (crds) installChainmedicCrds(cluster.store);
  const POLICIES = { group: 'chainmedic.io', resource: 'remediationpolicies' };
  const REMS = { group: 'chainmedic.io', resource: 'noderemediations' };
  const setPolicy = (spec: RemediationPolicySpec) => {
    const existing = cluster.store.get(POLICIES, undefined, 'default');
    if (existing) cluster.store.update(POLICIES, { ...existing, spec });
    else
      cluster.store.create(POLICIES, {
        apiVersion: API_VERSION,
        kind: REMEDIATION_POLICY_KIND,
        metadata: { name: 'default' },
        spec,
      });
  };
  if (policy !== null) setPolicy(policy ?? FAST_POLICY);
  const operators: OperatorHandle[] = [];
  const env: Env = {
    cluster,
    operators,
    async start(extra = {}) {
      const handle = await startOperator({
        client: kubeClient(cluster.kubeconfigPath),
        namespace: NAMESPACE,
        agentNamespace: AGENT_NAMESPACE,
        agentImage: 'chainmedic:test',
        logger: pino({ level: process.env.CHAINMEDIC_TEST_LOG ?? 'silent' }),
        policyStatusIntervalMs: 200,
        informer: { backoffMaxMs: 500 },
        // Test-sized like the rest: under the chaos of test/operator/faults.test.ts a node's steps can fail a dozen
        // times in a row, and the default back-off (doubling up to 1000 s) would then outlast the test.
        reconcileBackoffMaxMs: 1000,
        ...extra,
      });
      operators.push(handle);
      return handle;
    },
    setPolicy,
    remediations: () => cluster.store.list(REMS) as unknown as NodeRemediation[],
    remediationsOn: (node) =>
      (cluster.store.list(REMS) as unknown as NodeRemediation[]).filter((r) => r.spec.nodeName === node),
    node: (name) => cluster.store.get(NODES, undefined, name)!,
    async close() {
      for (const op of operators.splice(0)) await op.kill();
      await cluster.stop();
    },
  };
  return env;
}

export const phaseOf = (r: NodeRemediation | undefined) => r?.status?.phase;
export const isUnschedulable = (n: KubeObject) =>
  (n.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
export const annotations = (n: KubeObject) => (n.metadata.annotations ?? {}) as Record<string, string>;

/** Records every node that was unschedulable at any moment from now on (until `stop`). */
export function everCordoned(e: Env): { seen: Set<string>; stop: () => void } {
  const seen = new Set<string>();
  const stop = e.cluster.store.subscribe(NODES, (ev) => {
    if (isUnschedulable(ev.object)) seen.add(ev.object.metadata.name);
  });
  return { seen, stop };
}
