/**
 * The rolling audit (issue 14), on both control planes: a 200-node fleet (60 on the real plane) is probed node by
 * node, never more than audit.maxConcurrentProbes probe Jobs at once, and never an opted-out, NotReady or Windows
 * node. Each probe writes the node's KubeletIPTablesInitFailed condition; the policy's status counts the coverage.
 * The interval is time-scaled (1m for a day); that every node is probed within it is proven with a fake clock over
 * the same planner (test/audit/plan.test.ts): here the machine's speed must not decide a test.
 */
import {
  CHAINS_CONDITION_TYPE,
  LABEL_NODE,
  LABEL_PROBE,
  type RemediationPolicySpec,
} from '../../../src/api/index.js';
import {
  isReadyNode,
  PLANE_POLICY,
  PLANES,
  startPlaneEnv,
  watchObjects,
  type KubeNode,
  type PlaneEnv,
} from '../../kit/plane-env.js';

/**
 * 200 nodes on the memory plane; on the real one each probe is a real Job through the real Job controller (seconds
 * each on a busy machine), so 60 nodes keep the case within minutes there; the planner is the same code.
 */
const LINUX = { memory: 200, real: 60 } as const;
const MAX_PROBES = 10;
/** Probes after a kubelet start only after an hour: none here, every probe is the rolling audit's. */
const POLICY: RemediationPolicySpec = {
  ...PLANE_POLICY,
  audit: { afterKubeletStart: '1h', interval: '1m', maxConcurrentProbes: MAX_PROBES },
};

interface ProbeJob {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}

const finished = (j: ProbeJob) =>
  (j.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
const chainsOf = (n: KubeNode) => (n.status?.conditions ?? []).find((c) => c.type === CHAINS_CONDITION_TYPE);

describe.each(PLANES)('the rolling audit on the %s control plane', (plane) => {
  let env: PlaneEnv;

  beforeAll(async () => {
    env = await startPlaneEnv(plane, {
      linuxNodes: LINUX[plane],
      windowsNodes: 3,
      policy: POLICY,
      operator: false,
    });
  }, 300_000);

  afterAll(async () => {
    await env?.close();
  });

  it('probes every eligible node, at most maxConcurrentProbes at once, never opted-out, NotReady or Windows nodes', async () => {
    const linux = env.cluster.linuxNodeNames();
    const optedOut = linux.slice(0, 3);
    const notReady = linux.slice(3, 6);
    const windows = env.cluster.windowsNodeNames();
    const eligible = linux.slice(6);
    for (const n of optedOut) await env.patchNode(n, { annotations: { 'chainmedic.io/opt-out': 'true' } });
    for (const n of notReady) env.cluster.setNodeReady(n, false);
    for (const n of notReady) await env.until(async () => !isReadyNode(await env.node(n)), `${n} NotReady`);

    // Every probe Job, as the API server tells it: the most running at once, and on which nodes.
    const running = new Set<string>();
    const probed = new Map<string, string[]>();
    let mostRunning = 0;
    const jobs = await watchObjects<ProbeJob>(env.rest, '/apis/batch/v1/jobs', (type, job) => {
      const labels = job.metadata.labels ?? {};
      if (labels[LABEL_PROBE] === undefined) return;
      if (type === 'DELETED' || finished(job)) running.delete(job.metadata.name);
      else running.add(job.metadata.name);
      mostRunning = Math.max(mostRunning, running.size);
      const node = labels[LABEL_NODE]!;
      const reasons = probed.get(node) ?? [];
      if (type === 'ADDED' || type === 'LISTED') probed.set(node, [...reasons, labels[LABEL_PROBE]!]);
    });
    // A cluster that has run for a while: kubelet's Starting Events of the registrations (the real plane's nodes
    // register now) have expired, so no node waits out a settle delay and every probe is the audit's.
    const starts = await env.rest.get<{ items: { metadata: { name: string } }[] }>(
      '/api/v1/namespaces/default/events',
      { fieldSelector: 'reason=Starting' },
    );
    for (const e of starts.items)
      await env.rest.delete(`/api/v1/namespaces/default/events/${e.metadata.name}`);
    await env.startOperator();

    const conditions = async () => {
      const list = await env.rest.get<{ items: KubeNode[] }>('/api/v1/nodes');
      return new Map(list.items.map((n) => [n.metadata.name, chainsOf(n)]));
    };
    await env.until(
      async () => {
        const byNode = await conditions();
        return eligible.every((n) => byNode.get(n) !== undefined);
      },
      'every eligible node probed',
      420_000,
    );
    jobs.stop();

    // At most the limit; how close a run comes depends on how fast the Jobs finish (the planner's own test fills it).
    expect(mostRunning).toBeLessThanOrEqual(MAX_PROBES);
    expect(mostRunning).toBeGreaterThan(0);
    const byNode = await conditions();
    for (const n of [...optedOut, ...notReady, ...windows]) {
      expect([n, probed.get(n) ?? [], byNode.get(n)]).toEqual([n, [], undefined]);
    }
    expect(new Set([...probed.values()].flat())).toEqual(new Set(['Rolling']));
    expect(new Set(eligible.map((n) => byNode.get(n)?.status))).toEqual(new Set(['False']));
    await env.until(async () => {
      const audit = (await env.policyStatus())?.audit as { eligibleNodes?: number } | undefined;
      return audit?.eligibleNodes === eligible.length;
    }, 'the audit coverage on the policy status');
    const audit = (await env.policyStatus())!.audit as Record<string, number>;
    expect(audit.chainsMissing).toBe(0);
    expect(audit.probedWithinInterval).toBeGreaterThan(0);
    expect(audit.probedWithinInterval).toBeLessThanOrEqual(eligible.length);
  }, 540_000);
});
