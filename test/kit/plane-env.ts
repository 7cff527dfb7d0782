/**
 * The environment of one end-to-end scenario file, on either control plane (`startPlaneEnv`): a simulated
 * cluster (`memory`: tools/sim/cluster.ts; `real`: kube-apiserver, etcd and the controllers with the simulated
 * kubelets over the REST API, tools/sim/real-cluster.ts), chainmedic installed from the shipped manifests (the
 * webhook pointed at the operator on loopback), a test-sized policy, and the built product CLI running as its
 * Deployment would (`chainmedic operator --leader-elect` with the Deployment's environment; on the real plane
 * with its ServiceAccount's token and the shipped RBAC). Everything a scenario asserts it reads through the API
 * as an admin would (`rest`); the cluster handle only reaches the simulated hosts (kubelet restarts, faults).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_VERSION,
  DEFAULT_POLICY_NAME,
  NODE_REMEDIATION_KIND,
  REMEDIATION_POLICY_KIND,
  type NodeRemediation,
  type RemediationPolicySpec,
} from '../../src/api/index.js';
import { kubeClient } from '../../src/kube/client.js';
import { isConflict, isNotFound } from '../../src/kube/errors.js';
import { paths } from '../../src/kube/paths.js';
import { MERGE_PATCH, type KubeRest } from '../../src/kube/rest.js';
import { freePort } from '../../tools/bench/free-port.js';
import type { ControlPlane } from '../../tools/control-plane/harness.js';
import { startSimCluster } from '../../tools/sim/cluster.js';
import { startRealSimCluster } from '../../tools/sim/real-cluster.js';
import {
  CONTROL_PLANES,
  type ControlPlaneKind,
  type SimulatedCluster,
} from '../../tools/sim/simulated-cluster.js';
import {
  admin,
  install,
  loopbackWebhookOverlay,
  NAMESPACE,
  serviceAccountKubeconfig,
  startOperatorAs,
  until,
  type RunningOperator,
} from '../control-plane/operator-install.js';

export { CONTROL_PLANES, type ControlPlaneKind } from '../../tools/sim/simulated-cluster.js';

/**
 * The planes the scenario files run on: both (CONTROL_PLANES) unless CHAINMEDIC_PLANES names some
 * (comma-separated, e.g. `CHAINMEDIC_PLANES=memory` for a quick look).
 */
export const PLANES: ControlPlaneKind[] = CONTROL_PLANES.filter((p) =>
  (process.env.CHAINMEDIC_PLANES ?? CONTROL_PLANES.join(',')).split(',').includes(p),
);

/**
 * Test-sized: short cooldown and verify timeout. The Job's own durations are long on purpose: the memory plane's
 * Job controller runs activeDeadlineSeconds and ttlSecondsAfterFinished on the simulated hosts' clock (timeScale
 * 0.01: a 30 s deadline is 0.3 s of real time, enough to kill a busy agent; a 1 h TTL deletes a finished Job
 * after 36 s, within a failover), the real one in real time. No case here waits for either.
 */
export const PLANE_POLICY: RemediationPolicySpec = {
  cooldown: '1s',
  verifyTimeout: '20s',
  attemptWindow: '1h',
  maxUnhealthy: 10,
  maxConcurrent: 5,
  job: { timeout: '30m', agentWaitSeconds: 10, ttlAfterFinished: '24h' },
};

/** The Lease the replicas campaign for (LEASE_NAME in src/operator/operator.ts). */
export const LEASE = 'chainmedic-operator';

export interface PlaneEnvOptions {
  linuxNodes: number;
  windowsNodes?: number;
  seed?: number;
  /** The simulated hosts' durations run this many times real time (default 0.01, as test/kit/env.ts). */
  timeScale?: number;
  policy?: RemediationPolicySpec;
  /** Start one operator replica before returning (default true). */
  operator?: boolean;
}

export interface KubeNode {
  metadata: {
    name: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec?: { unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface KubeEvent {
  type?: string;
  reason: string;
  message?: string;
  involvedObject: { kind: string; name: string };
}

export interface PolicyStatus {
  stormGuard?: { active: boolean; affected: number; limit: number };
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  [key: string]: unknown;
}

export interface PodLike {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    containerStatuses?: {
      name: string;
      ready?: boolean;
      restartCount?: number;
      state?: Record<string, unknown>;
    }[];
  };
}

export interface PlaneOperator extends RunningOperator {
  name: string;
  /** SIGKILL: no Lease release, no cleanup. Resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Every node that was unschedulable at any moment since `watchCordons()` (from a watch through the API). */
export interface CordonWatch {
  seen: Set<string>;
  /** Ends the watch; throws if it broke on the way (a cordon in the gap could have been missed). */
  stop(): void;
}

export interface PlaneEnv {
  plane: ControlPlaneKind;
  cluster: SimulatedCluster;
  /** The admin's REST client. */
  rest: KubeRest;
  /** The real control plane (real plane only). */
  cp?: ControlPlane;
  dir: string;
  operators: PlaneOperator[];
  /** Starts one more replica of the built operator (leader election on, as the Deployment runs it). */
  startOperator(): Promise<PlaneOperator>;
  /** The replica holding the Lease now (from the Lease's holderIdentity), among the live ones. */
  leader(): Promise<PlaneOperator | undefined>;
  holderIdentity(): Promise<string | undefined>;
  setPolicy(spec: RemediationPolicySpec): Promise<void>;
  policyStatus(): Promise<PolicyStatus | undefined>;
  remediations(): Promise<NodeRemediation[]>;
  remediationsOn(node: string): Promise<NodeRemediation[]>;
  createRemediation(name: string, node: string): Promise<void>;
  node(name: string): Promise<KubeNode>;
  patchNode(
    name: string,
    patch: { annotations?: Record<string, string | null>; unschedulable?: boolean },
  ): Promise<void>;
  /** Events about one object (all namespaces). */
  eventsAbout(kind: string, name: string): Promise<KubeEvent[]>;
  /** azure-npm's pods on a node (kube-system, label k8s-app=azure-npm or by name). */
  npmPodsOn(node: string): Promise<PodLike[]>;
  jobs(): Promise<Array<{ metadata: { name: string; namespace: string; labels?: Record<string, string> } }>>;
  watchCordons(): Promise<CordonWatch>;
  /** eventually() with the tail of every replica's log on failure. */
  until(check: () => boolean | Promise<boolean>, what: string, limitMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const phaseOf = (r: NodeRemediation | undefined) => r?.status?.phase;
export const isUnschedulable = (n: KubeNode) => n.spec?.unschedulable === true;
export const annotationsOf = (n: KubeNode) => n.metadata.annotations ?? {};
export const isReadyNode = (n: KubeNode) =>
  n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

const NPM_NAMESPACE = 'kube-system';

async function startCluster(
  plane: ControlPlaneKind,
  options: PlaneEnvOptions,
  dir: string,
): Promise<{ cluster: SimulatedCluster; cp?: ControlPlane }> {
  const common = {
    linuxNodes: options.linuxNodes,
    windowsNodes: options.windowsNodes ?? 0,
    seed: options.seed ?? 7,
    timeScale: options.timeScale ?? 0.01,
    kubeconfigPath: join(dir, 'admin.kubeconfig'),
  };
  if (plane === 'memory') return { cluster: await startSimCluster(common) };
  const cluster = await startRealSimCluster({
    ...common,
    controlPlane: { dir: join(dir, 'cp'), keep: Boolean(process.env.CHAINMEDIC_PLANE_KEEP) },
  });
  return { cluster, cp: cluster.cp };
}

export async function startPlaneEnv(plane: ControlPlaneKind, options: PlaneEnvOptions): Promise<PlaneEnv> {
  const dir = mkdtempSync(join(tmpdir(), `chainmedic-plane-${plane}-`));
  let cluster: SimulatedCluster | undefined;
  const operators: PlaneOperator[] = [];
  try {
    const started = await startCluster(plane, options, dir);
    cluster = started.cluster;
    const cp = started.cp;
    const rest = kubeClient(cluster.kubeconfigPath).rest;
    // kubectl as the admin: the real plane's harness, or the same calls against the simulated API server.
    const adminPlane = cp ?? ({ adminKubeconfig: cluster.kubeconfigPath } as ControlPlane);
    const webhookPort = await freePort();
    const overlay = loopbackWebhookOverlay(join(dir, 'overlay'), webhookPort);
    if (cp) await install(cp, overlay);
    else await installOnMemory(adminPlane, overlay);
    const operatorKubeconfig = cp ? await serviceAccountKubeconfig(cp) : cluster.kubeconfigPath;
    // No wait for the API server to map the new CRDs for owner references (up to ~30 s on the real plane): the
    // operator retries that 403 (src/kube/error-class.ts), and the scenarios started right after the install
    // prove it.

    const env = planeEnv(plane, cluster, rest, dir, operators, async () => {
      const name = `replica-${operators.length}`;
      // The first replica serves the webhook the overlay names; later ones a port of their own (the apiserver
      // calls only the first: the webhook fails open once it is gone, docs/adr/0013).
      const port = operators.length === 0 ? webhookPort : await freePort();
      const running = await startOperatorAs(adminPlane, operatorKubeconfig, join(dir, `${name}.log`), {
        webhookPort: port,
      });
      const operator: PlaneOperator = {
        ...running,
        name,
        kill: async () => {
          running.process.child.signal('SIGKILL');
          await running.process.child.exited;
        },
      };
      operators.push(operator);
      return operator;
    });
    if (cp) env.cp = cp;
    await env.setPolicy(options.policy ?? PLANE_POLICY);
    if (options.operator !== false) await env.startOperator();
    return env;
  } catch (err) {
    for (const o of operators) await o.kill();
    await cluster?.stop();
    throw err;
  }
}

/**
 * The shipped manifests (with the loopback webhook overlay) applied to the simulated API server with the real
 * kubectl, as `install` does on the real plane; the sim serves those kinds generically and runs no Deployment,
 * so there is nothing to scale down. It calls no webhook.
 */
async function installOnMemory(plane: ControlPlane, overlay: string): Promise<void> {
  await admin(plane, ['apply', '-k', overlay]);
  await admin(plane, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/noderemediations.chainmedic.io',
    'crd/remediationpolicies.chainmedic.io',
  ]);
}

function planeEnv(
  plane: ControlPlaneKind,
  cluster: SimulatedCluster,
  rest: KubeRest,
  dir: string,
  operators: PlaneOperator[],
  startOperator: () => Promise<PlaneOperator>,
): PlaneEnv {
  const live = () => operators.filter((o) => o.process.child.running());
  const logs = {
    log: () =>
      operators
        .map(
          (o) =>
            `### ${o.name}${o.process.child.running() ? '' : ' (gone)'}\n${o.log().split('\n').slice(-15).join('\n')}`,
        )
        .join('\n'),
  };
  const list = async <T>(path: string, query?: Record<string, string>): Promise<T[]> =>
    (await rest.get<{ items: T[] }>(path, query)).items;
  const holderIdentity = async () => {
    try {
      const lease = await rest.get<{ spec?: { holderIdentity?: string } }>(paths.lease(NAMESPACE, LEASE));
      return lease.spec?.holderIdentity || undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const env: PlaneEnv = {
    plane,
    cluster,
    rest,
    dir,
    operators,
    startOperator,
    holderIdentity,
    async leader() {
      const holder = await holderIdentity();
      return live().find((o) => holder !== undefined && o.identity() === holder);
    },
    async setPolicy(spec) {
      for (let round = 0; ; round++) {
        try {
          const existing = await rest.get<{ metadata: Record<string, unknown> }>(
            paths.policy(DEFAULT_POLICY_NAME),
          );
          await rest.replace(paths.policy(DEFAULT_POLICY_NAME), { ...existing, spec });
          return;
        } catch (err) {
          if (isNotFound(err)) {
            await rest.create(paths.policies(), {
              apiVersion: API_VERSION,
              kind: REMEDIATION_POLICY_KIND,
              metadata: { name: DEFAULT_POLICY_NAME },
              spec,
            });
            return;
          }
          // The operator writes the status in between: read again.
          if (!isConflict(err) || round > 10) throw err;
        }
      }
    },
    async policyStatus() {
      return (await rest.get<{ status?: PolicyStatus }>(paths.policy(DEFAULT_POLICY_NAME))).status;
    },
    remediations: () => list<NodeRemediation>(paths.remediations()),
    async remediationsOn(node) {
      return (await env.remediations()).filter((r) => r.spec.nodeName === node);
    },
    async createRemediation(name, node) {
      await rest.create(paths.remediations(), {
        apiVersion: API_VERSION,
        kind: NODE_REMEDIATION_KIND,
        metadata: { name },
        spec: { nodeName: node, trigger: { source: 'Manual' } },
      });
    },
    node: (name) => rest.get<KubeNode>(paths.node(name)),
    async patchNode(name, change) {
      const patch: Record<string, unknown> = {};
      if (change.annotations) patch.metadata = { annotations: change.annotations };
      if (change.unschedulable !== undefined) patch.spec = { unschedulable: change.unschedulable };
      await rest.patch(paths.node(name), MERGE_PATCH, patch);
    },
    async eventsAbout(kind, name) {
      return (await list<KubeEvent>('/api/v1/events')).filter(
        (e) => e.involvedObject.kind === kind && e.involvedObject.name === name,
      );
    },
    async npmPodsOn(node) {
      return (await list<PodLike>(paths.pods(NPM_NAMESPACE))).filter(
        (p) => p.spec.nodeName === node && p.metadata.name.startsWith('azure-npm-'),
      );
    },
    jobs: () => list('/apis/batch/v1/jobs'),
    watchCordons: () => watchCordons(rest),
    until: (check, what, limitMs = 60_000) => until(logs, check, what, { limitMs }),
    async close() {
      for (const o of operators.splice(0)) await o.stop();
      await cluster.stop();
      // CHAINMEDIC_PLANE_KEEP=1 keeps the operators' logs (and the real plane's, with the harness's own `keep`).
      if (process.env.CHAINMEDIC_PLANE_KEEP) process.stdout.write(`plane env kept: ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/** A live watch through the API (`watchObjects`). */
export interface ObjectWatch {
  /** Ends the watch; throws if it broke on the way (an event in the gap could have been missed). */
  stop(): void;
}

/**
 * Lists `path`, hands every object to `onEvent` as 'LISTED', then watches from the list's resourceVersion and
 * hands on every change, resuming when the server ends the watch. `onEvent` runs synchronously per event.
 */
export async function watchObjects<T extends { metadata: { name: string; resourceVersion?: string } }>(
  rest: KubeRest,
  path: string,
  onEvent: (type: string, object: T) => void,
): Promise<ObjectWatch> {
  const abort = new AbortController();
  const initial = await rest.get<{ metadata: { resourceVersion: string }; items: T[] }>(path);
  for (const o of initial.items) onEvent('LISTED', o);
  let resourceVersion = initial.metadata.resourceVersion;
  let broken: string | undefined;
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const stream = await rest.openStream(
          path,
          { watch: true, resourceVersion, allowWatchBookmarks: true },
          abort.signal,
        );
        let buffer = '';
        const decoder = new TextDecoder();
        for await (const chunk of stream) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { type: string; object: T };
            if (event.type === 'ERROR') throw new Error(`watch error: ${line}`);
            if (event.object.metadata.resourceVersion)
              resourceVersion = event.object.metadata.resourceVersion;
            if (event.type !== 'BOOKMARK') onEvent(event.type, event.object);
          }
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        // A 410 or a broken stream: an event in the gap would be missed, so a gap fails the scenario loudly.
        broken = `the watch of ${path} broke: ${String(err)}`;
        return;
      }
    }
  };
  void run();
  return {
    stop() {
      abort.abort();
      if (broken) throw new Error(broken);
    },
  };
}

async function watchCordons(rest: KubeRest): Promise<CordonWatch> {
  const seen = new Set<string>();
  const watch = await watchObjects<KubeNode>(rest, paths.nodes(), (_type, node) => {
    if (isUnschedulable(node)) seen.add(node.metadata.name);
  });
  return { seen, stop: () => watch.stop() };
}
