/**
 * Acting before azure-npm crashes (issue 14), on both control planes: a latent node (kubelet restarted and lost the
 * iptables race while azure-npm kept running) found by the probe after kubelet's start and healed with one kubelet
 * restart, azure-npm never crashing; a reboot probed; the KubeletIPTablesInitFailed Node condition written,
 * flipped and kubelet's own conditions untouched; nodes the cluster autoscaler removes or the platform upgrades
 * left alone. Storms are in storms.test.ts, the rolling audit (and what it never probes) in audit.test.ts.
 */
import {
  CHAINS_CONDITION_TYPE,
  LABEL_NODE,
  LABEL_PROBE,
  type RemediationPolicySpec,
} from '../../../src/api/index.js';
import { MERGE_PATCH } from '../../../src/kube/rest.js';
import {
  isUnschedulable,
  phaseOf,
  PLANE_POLICY,
  PLANES,
  startPlaneEnv,
  type KubeNode,
  type PlaneEnv,
} from '../../kit/plane-env.js';

const ROLES = ['latent', 'reboot', 'scaleDown', 'upgrade'] as const;
type Role = (typeof ROLES)[number];
/** Probes 2 s after a kubelet start; the rolling audit far away (a day), so every probe here has a cause. */
const POLICY: RemediationPolicySpec = {
  ...PLANE_POLICY,
  audit: { afterKubeletStart: '2s', interval: '24h', maxConcurrentProbes: 3 },
};
const CASE_MS = 240_000;

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

const conditionsOf = (n: KubeNode) => (n.status?.conditions ?? []) as NodeCondition[];
const chainsOf = (n: KubeNode) => conditionsOf(n).find((c) => c.type === CHAINS_CONDITION_TYPE);
/** kubelet's own conditions, by type, with their transition times. */
const kubeletConditions = (n: KubeNode) =>
  Object.fromEntries(
    conditionsOf(n)
      .filter((c) => c.type !== CHAINS_CONDITION_TYPE)
      .map((c) => [c.type, `${c.status} since ${c.lastTransitionTime}`]),
  );

describe.each(PLANES)('latent nodes on the %s control plane', (plane) => {
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
  const probeJobsOn = async (n: string) =>
    (await env.jobs()).filter(
      (j) => j.metadata.labels?.[LABEL_NODE] === n && j.metadata.labels[LABEL_PROBE] !== undefined,
    );

  it(
    'a latent node is found by the probe after its kubelet start and healed with one kubelet restart; azure-npm never crashes',
    async () => {
      const n = node.latent;
      const before = await env.node(n);
      const kubeletBefore = kubeletConditions(before);
      const [pod] = await env.npmPodsOn(n);
      const restartsBefore = pod!.status?.containerStatuses?.[0]?.restartCount;
      const cordons = await env.watchCordons();

      env.cluster.breakNode(n, 'kubelet-init-race', { latent: true });
      await env.until(async () => phaseOf(await remediationOf(n)) === 'Succeeded', `${n} Succeeded`, 120_000);
      cordons.stop();

      const nr = (await remediationOf(n))!;
      expect(nr.spec.trigger).toMatchObject({ source: 'Audit', probeReason: 'KubeletStarted' });
      expect(nr.spec.trigger.probeJob).toMatch(/^probe-/);
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      // Cordoned while kubelet restarted, given back after.
      expect(cordons.seen.has(n)).toBe(true);
      expect(isUnschedulable(await env.node(n))).toBe(false);
      // azure-npm never crashed: the same pod, the same restart count, Ready.
      const [after] = await env.npmPodsOn(n);
      expect(after!.metadata.name).toBe(pod!.metadata.name);
      expect(after!.status?.containerStatuses?.[0]).toMatchObject({
        restartCount: restartsBefore,
        ready: true,
      });
      // The condition said True (the Event tells it), then False once kubelet restarted.
      const events = await env.eventsAbout('Node', n);
      expect(events.map((e) => e.reason)).toContain('LatentNodeFound');
      await env.until(
        async () => chainsOf(await env.node(n))?.status === 'False',
        `${n} condition False again`,
      );
      const condition = chainsOf(await env.node(n))!;
      expect(condition.message).toContain(`NodeRemediation ${nr.metadata.name}`);
      // kubelet's own conditions: the same types, none of them rewritten by the operator.
      const kubeletAfter = kubeletConditions(await env.node(n));
      expect(Object.keys(kubeletAfter).sort()).toEqual(Object.keys(kubeletBefore).sort());
      expect(kubeletAfter.Ready).toMatch(/^True since /);
    },
    CASE_MS,
  );

  it(
    'a reboot (a new bootID) is probed: the probe Job says Rebooted, the condition is refreshed',
    async () => {
      const n = node.reboot;
      const heartbeat = chainsOf(await env.node(n))?.lastHeartbeatTime ?? '';
      const bootBefore = env.cluster.bootId(n);
      env.cluster.rebootNode(n);
      await env.until(
        async () => (await probeJobsOn(n)).some((j) => j.metadata.labels![LABEL_PROBE] === 'Rebooted'),
        `${n} probed for its reboot`,
      );
      expect(env.cluster.bootId(n)).not.toBe(bootBefore);
      await env.until(async () => {
        const c = chainsOf(await env.node(n));
        return c?.status === 'False' && (c.lastHeartbeatTime ?? '') > heartbeat;
      }, `${n} condition refreshed`);
      expect(await env.remediationsOn(n)).toEqual([]);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
    },
    CASE_MS,
  );

  it(
    'nodes the cluster autoscaler removes or the platform quarantines are not touched; released, they are healed',
    async () => {
      const taint = { key: 'ToBeDeletedByClusterAutoscaler', value: '1764489600', effect: 'NoSchedule' };
      await env.rest.patch(`/api/v1/nodes/${node.scaleDown}`, MERGE_PATCH, { spec: { taints: [taint] } });
      await env.rest.patch(`/api/v1/nodes/${node.upgrade}`, MERGE_PATCH, {
        metadata: { labels: { 'kubernetes.azure.com/upgrade-status': 'Quarantined' } },
      });
      const cordons = await env.watchCordons();
      env.cluster.breakNode(node.scaleDown, 'kubelet-init-race');
      env.cluster.breakNode(node.upgrade, 'kubelet-init-race');
      const waits = (n: string, reason: string) =>
        env.until(async () => {
          const nr = await remediationOf(n);
          return phaseOf(nr) === 'Waiting' && nr?.status?.reason === reason;
        }, `${n} Waiting ${reason}`);
      await waits(node.scaleDown, 'ScaleDown');
      await waits(node.upgrade, 'PlatformUpgrade');
      expect((await remediationOf(node.scaleDown))!.status!.message).toContain(
        'ToBeDeletedByClusterAutoscaler',
      );
      expect([...cordons.seen]).toEqual([]);
      expect(env.cluster.kubeletRestarts(node.scaleDown)).toBe(0);
      expect(env.cluster.kubeletRestarts(node.upgrade)).toBe(0);

      await env.rest.patch(`/api/v1/nodes/${node.scaleDown}`, MERGE_PATCH, { spec: { taints: null } });
      await env.rest.patch(`/api/v1/nodes/${node.upgrade}`, MERGE_PATCH, {
        metadata: { labels: { 'kubernetes.azure.com/upgrade-status': null } },
      });
      for (const n of [node.scaleDown, node.upgrade]) {
        await env.until(
          async () => phaseOf(await remediationOf(n)) === 'Succeeded',
          `${n} Succeeded`,
          120_000,
        );
        expect(env.cluster.kubeletRestarts(n)).toBe(1);
      }
      cordons.stop();
    },
    CASE_MS,
  );
});
