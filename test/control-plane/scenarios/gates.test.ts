/**
 * The gates before a kubelet restart, on both control planes (issue 13): the storm guard, a paused policy, dry
 * run, a manual NodeRemediation, a NotReady node, a Job that fails, the attempt budget and a restart that does
 * not help. One cluster per plane, one operator; each case breaks its own nodes and sets the policy it needs,
 * in this order (the storm guard first, while no other node is affected; the failures last, since they leave
 * their nodes broken and cordoned for a human).
 */
import { CORDON_MARKER_ANNOTATION, type RemediationPolicySpec } from '../../../src/api/index.js';
import {
  annotationsOf,
  isReadyNode,
  isUnschedulable,
  phaseOf,
  PLANE_POLICY,
  PLANES,
  startPlaneEnv,
  type PlaneEnv,
} from '../../kit/plane-env.js';

const ROLES = [
  'manual',
  'notReady',
  'failingJob',
  'maxAttempts',
  'paused',
  'dryRun',
  'storm1',
  'storm2',
  'storm3',
  'stillMissing',
] as const;
type Role = (typeof ROLES)[number];
const POLICY: RemediationPolicySpec = { ...PLANE_POLICY, maxAttemptsPerNode: 2 };
/** How long a remediation may take on either plane: a guard, never a measurement. */
const HEAL_MS = 90_000;
/** A guard per case (jest's own is 60 s). */
const CASE_MS = 240_000;

describe.each(PLANES)('the gates on the %s control plane', (plane) => {
  let env: PlaneEnv;
  const node = {} as Record<Role, string>;

  beforeAll(async () => {
    env = await startPlaneEnv(plane, { linuxNodes: ROLES.length, policy: POLICY });
    const linux = env.cluster.linuxNodeNames();
    ROLES.forEach((role, i) => (node[role] = linux[i]!));
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  });

  const remediationOf = async (n: string) => (await env.remediationsOn(n))[0];
  /** Waits for the node's remediation to reach `phase`; on a timeout the message shows azure-npm's pods there. */
  async function reachesPhase(n: string, phase: string, limitMs = HEAL_MS): Promise<void> {
    try {
      await env.until(async () => phaseOf(await remediationOf(n)) === phase, `${n} ${phase}`, limitMs);
    } catch (err) {
      const pods = (await env.npmPodsOn(n)).map((p) => ({ name: p.metadata.name, status: p.status }));
      throw new Error(`${(err as Error).message}\n--- azure-npm on ${n} ---\n${JSON.stringify(pods)}`);
    }
  }
  const waitsFor = (n: string, reason: string) =>
    env.until(async () => {
      const nr = await remediationOf(n);
      return phaseOf(nr) === 'Waiting' && nr?.status?.reason === reason;
    }, `${n} Waiting: ${reason}`);

  it(
    'storm guard: more nodes affected than maxUnhealthy -> none cordoned, the policy says why; raised -> all healed',
    async () => {
      await env.setPolicy({ ...POLICY, maxUnhealthy: 2 });
      const storm = [node.storm1, node.storm2, node.storm3];
      const cordons = await env.watchCordons();
      for (const n of storm) env.cluster.breakNode(n, 'kubelet-init-race');
      for (const n of storm) await waitsFor(n, 'StormGuard');
      // The fleet view is published on the policy at the operator's own period (10 s in the product).
      await env.until(
        async () => (await env.policyStatus())?.stormGuard?.active === true,
        'the storm guard shown on the policy',
      );
      const status = (await env.policyStatus())!;
      expect(status.stormGuard).toMatchObject({ active: true, limit: 2 });
      expect(status.stormGuard!.affected).toBeGreaterThanOrEqual(3);
      expect(storm.map((n) => env.cluster.kubeletRestarts(n))).toEqual([0, 0, 0]);
      expect([...cordons.seen]).toEqual([]);

      await env.setPolicy(POLICY);
      for (const n of storm) await reachesPhase(n, 'Succeeded');
      cordons.stop();
      expect(storm.map((n) => env.cluster.kubeletRestarts(n))).toEqual([1, 1, 1]);
      for (const n of storm) expect(isUnschedulable(await env.node(n))).toBe(false);
      await env.until(
        async () => (await env.policyStatus())?.stormGuard?.active === false,
        'the storm guard lifted on the policy',
      );
    },
    CASE_MS,
  );

  it(
    'a paused policy holds the remediation in Waiting; unpaused, it runs',
    async () => {
      const n = node.paused;
      await env.setPolicy({ ...POLICY, paused: true });
      env.cluster.breakNode(n, 'kubelet-init-race');
      await waitsFor(n, 'Paused');
      expect(isUnschedulable(await env.node(n))).toBe(false);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
      await env.setPolicy(POLICY);
      await reachesPhase(n, 'Succeeded');
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      expect(isUnschedulable(await env.node(n))).toBe(false);
    },
    CASE_MS,
  );

  it(
    'dry run only probes: the verdict recorded, no cordon, no kubelet restart',
    async () => {
      const n = node.dryRun;
      await env.setPolicy({ ...POLICY, dryRun: true });
      const cordons = await env.watchCordons();
      env.cluster.breakNode(n, 'kubelet-init-race');
      await reachesPhase(n, 'Skipped');
      cordons.stop();
      const nr = (await remediationOf(n))!;
      expect(nr.status!.reason).toBe('DryRun');
      expect(nr.status!.agent?.before?.verdict).toBe('missing');
      expect(cordons.seen.has(n)).toBe(false);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
      await env.setPolicy(POLICY);
    },
    CASE_MS,
  );

  it(
    'drives a NodeRemediation created by hand: on a healthy node the probe finds the chains, kubelet untouched',
    async () => {
      const n = node.manual;
      await env.createRemediation('manual-check', n);
      await reachesPhase(n, 'Skipped');
      const nr = (await remediationOf(n))!;
      expect(nr.metadata.name).toBe('manual-check');
      expect(nr.status!.reason).toBe('ChainsPresent');
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
      await env.until(async () => !isUnschedulable(await env.node(n)), `${n} uncordoned`);
    },
    CASE_MS,
  );

  it(
    'waits while the node is NotReady, then proceeds once it is Ready',
    async () => {
      const n = node.notReady;
      // The crash loop is confirmed (held by a pause meanwhile), then the node goes NotReady.
      await env.setPolicy({ ...POLICY, paused: true });
      env.cluster.breakNode(n, 'kubelet-init-race');
      await waitsFor(n, 'Paused');
      env.cluster.setNodeReady(n, false);
      await env.until(async () => !isReadyNode(await env.node(n)), `${n} NotReady in the API`);
      await env.setPolicy(POLICY);
      await waitsFor(n, 'NodeNotReady');
      expect(isUnschedulable(await env.node(n))).toBe(false);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
      env.cluster.setNodeReady(n, true);
      await reachesPhase(n, 'Succeeded');
      expect(await env.remediationsOn(n)).toHaveLength(1);
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      expect(isUnschedulable(await env.node(n))).toBe(false);
    },
    CASE_MS,
  );

  it(
    'retries after a Job that fails, within the attempt budget, and restarts kubelet once',
    async () => {
      const n = node.failingJob;
      env.cluster.failNextJob(n);
      env.cluster.breakNode(n, 'kubelet-init-race');
      await reachesPhase(n, 'Succeeded');
      const nr = (await remediationOf(n))!;
      expect(nr.status!.attempts).toHaveLength(2);
      expect(nr.status!.attempts![0]!.reason).toBe('JobFailed');
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      expect(isUnschedulable(await env.node(n))).toBe(false);
    },
    CASE_MS,
  );

  it(
    'gives up after maxAttemptsPerNode failed Jobs: Failed, node kept cordoned for a human',
    async () => {
      const n = node.maxAttempts;
      env.cluster.failNextJob(n);
      env.cluster.breakNode(n, 'kubelet-init-race');
      // The injected failure is for one container: armed again once the first attempt has failed (the cooldown
      // holds the second one back meanwhile).
      await env.until(
        async () => (await remediationOf(n))?.status?.attempts?.[0]?.reason === 'JobFailed',
        `${n}: the first attempt failed`,
        HEAL_MS,
      );
      env.cluster.failNextJob(n);
      await reachesPhase(n, 'Failed');
      const nr = (await remediationOf(n))!;
      expect(nr.status!.attempts!.map((a) => a.reason)).toEqual(['JobFailed', 'JobFailed']);
      expect(nr.status!.message).toMatch(/No attempts left/);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
      const after = await env.node(n);
      expect(isUnschedulable(after)).toBe(true);
      expect(annotationsOf(after)[CORDON_MARKER_ANNOTATION]).toBe(nr.metadata.name);
    },
    CASE_MS,
  );

  it(
    'a kubelet restart that does not bring the chains back: Failed ChainsStillMissing at once, node kept cordoned',
    async () => {
      const n = node.stillMissing;
      // Every kubelet start on the node loses the race again.
      env.cluster.failKubeletInits(n, 100);
      env.cluster.breakNode(n, 'kubelet-init-race');
      await reachesPhase(n, 'Failed');
      const nr = (await remediationOf(n))!;
      expect(nr.status!.reason).toBe('ChainsStillMissing');
      expect(nr.status!.attempts).toHaveLength(1);
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      const after = await env.node(n);
      expect(isUnschedulable(after)).toBe(true);
      expect(annotationsOf(after)[CORDON_MARKER_ANNOTATION]).toBe(nr.metadata.name);
    },
    CASE_MS,
  );
});
