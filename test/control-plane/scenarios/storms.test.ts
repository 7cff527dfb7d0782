/**
 * Storms explained (issue 14), on both control planes: while the storm guard holds, the affected nodes are probed
 * and the policy's status says what they share and what their chains look like. A storm of nodes whose azure-npm
 * image cannot see the chains is explained as the image; a storm of nodes whose kubelet lost the iptables race as
 * kubelet. An SRE releases exactly one storm with an annotation naming its id: an annotation naming an ended storm
 * releases nothing.
 */
import {
  RELEASE_STORM_ANNOTATION,
  type RemediationPolicySpec,
  type RemediationPolicyStatus,
} from '../../../src/api/index.js';
import { MERGE_PATCH } from '../../../src/kube/rest.js';
import { phaseOf, PLANE_POLICY, PLANES, startPlaneEnv, type PlaneEnv } from '../../kit/plane-env.js';

const IMAGE_BUG = ['image1', 'image2', 'image3'] as const;
const RACE = ['race1', 'race2', 'race3'] as const;
const ROLES = [...IMAGE_BUG, ...RACE, 'healthy1', 'healthy2', 'healthy3', 'healthy4'] as const;
type Role = (typeof ROLES)[number];
const POLICY: RemediationPolicySpec = {
  ...PLANE_POLICY,
  maxUnhealthy: 2,
  audit: { afterKubeletStart: '2s', interval: '24h', maxConcurrentProbes: 3 },
};
const CASE_MS = 240_000;
type Storm = NonNullable<RemediationPolicyStatus['storm']>;

describe.each(PLANES)('storms explained on the %s control plane', (plane) => {
  let env: PlaneEnv;
  const node = {} as Record<Role, string>;
  let imageStorm: Storm;

  beforeAll(async () => {
    env = await startPlaneEnv(plane, { linuxNodes: ROLES.length, policy: POLICY });
    const linux = env.cluster.linuxNodeNames();
    ROLES.forEach((role, i) => (node[role] = linux[i]!));
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  });

  const storm = async () => (await env.policyStatus())?.storm as Storm | undefined;
  const remediationOf = async (n: string) => (await env.remediationsOn(n))[0];
  const waiting = async (n: string) => {
    const nr = await remediationOf(n);
    return phaseOf(nr) === 'Waiting' && nr?.status?.reason === 'StormGuard' ? nr : undefined;
  };
  const annotate = (value: string | null) =>
    env.rest.patch('/apis/chainmedic.io/v1alpha1/remediationpolicies/default', MERGE_PATCH, {
      metadata: { annotations: { [RELEASE_STORM_ANNOTATION]: value } },
    });

  it(
    "a storm of azure-npm image bugs: the affected nodes' chains are present, the image is named",
    async () => {
      const nodes = IMAGE_BUG.map((r) => node[r]);
      for (const n of nodes) env.cluster.breakNode(n, 'npm-image-bug');
      for (const n of nodes) await env.until(async () => (await waiting(n)) !== undefined, `${n} StormGuard`);
      await env.until(async () => (await storm())?.suspect === 'image', 'the storm explained as the image');
      imageStorm = (await storm())!;
      const [pod] = await env.npmPodsOn(nodes[0]!);
      const image = (pod as unknown as { spec: { containers: { image: string }[] } }).spec.containers[0]!
        .image;
      expect(imageStorm.headline).toContain(`3 of 3 affected nodes run azure-npm image ${image}`);
      expect(imageStorm.headline).toContain('suspect the azure-npm image, not kubelet');
      expect(imageStorm.groups).toContainEqual({
        attribute: 'npmImage',
        value: image,
        affected: 3,
        fleet: 3,
      });
      // The gates and the policy's Events name the storm and how to release it.
      const nr = (await waiting(nodes[0]!))!;
      expect(nr.status!.message).toContain(`${RELEASE_STORM_ANNOTATION}=${imageStorm.id}`);
      const events = await env.eventsAbout('RemediationPolicy', 'default');
      expect(events.find((e) => e.reason === 'StormGuard')?.message).toContain(imageStorm.id);
      const condition = (await env.policyStatus())!.conditions!.find((c) => c.type === 'StormActive')!;
      expect(condition.message).toContain(`Storm ${imageStorm.id}`);
      expect(nodes.map((n) => env.cluster.kubeletRestarts(n))).toEqual([0, 0, 0]);

      // A fixed image ends the storm.
      for (const n of nodes) env.cluster.repairNpmImage(n);
      for (const n of nodes)
        await env.until(async () => phaseOf(await remediationOf(n)) === 'Skipped', `${n} Skipped`);
      await env.until(async () => (await storm()) === undefined, 'the image storm over');
    },
    CASE_MS,
  );

  it(
    "a storm of kubelet init races is explained as kubelet; a release of another storm releases nothing, this storm's id releases it",
    async () => {
      const nodes = RACE.map((r) => node[r]);
      const cordons = await env.watchCordons();
      await annotate(imageStorm.id);
      for (const n of nodes) env.cluster.breakNode(n, 'kubelet-init-race');
      await env.until(async () => (await storm())?.suspect === 'kubelet', 'the storm explained as kubelet');
      const raceStorm = (await storm())!;
      expect(raceStorm.id).not.toBe(imageStorm.id);
      expect(raceStorm.headline).toContain('suspect kubelet');
      // The ended storm's release does not carry over: the gates say so.
      for (const n of nodes) {
        await env.until(
          async () =>
            (await waiting(n))?.status?.message?.includes(`names ${imageStorm.id}, not this storm`) === true,
          `${n} held despite the stale release`,
        );
      }
      expect(raceStorm.released).toBeUndefined();
      expect([...cordons.seen]).toEqual([]);

      await annotate(raceStorm.id);
      for (const n of nodes)
        await env.until(
          async () => phaseOf(await remediationOf(n)) === 'Succeeded',
          `${n} Succeeded`,
          120_000,
        );
      cordons.stop();
      expect(nodes.map((n) => env.cluster.kubeletRestarts(n))).toEqual([1, 1, 1]);
      const events = await env.eventsAbout('RemediationPolicy', 'default');
      expect(events.find((e) => e.reason === 'StormReleased')?.message).toContain(raceStorm.id);
      await env.until(async () => (await storm()) === undefined, 'the race storm over');
      await annotate(null);
    },
    CASE_MS,
  );
});
