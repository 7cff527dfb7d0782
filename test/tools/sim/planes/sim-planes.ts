/**
 * The simulated hosts' latent break and reboot, a foreign Node condition, and the image-bug image, through the API
 * on both control planes (CHAINMEDIC_PLANES=memory or real for one): one cluster per plane, a Linux node per role.
 * Registered by test/tools/sim/real-cluster.test.ts (the control-plane project, run in a loopback-only netns).
 */
import { createRandom } from '../../../../tools/sim/actors/random.js';
import { nodeIdentities } from '../../../../tools/sim/actors/node-factory.js';
import { CONTROL_PLANES, type SimulatedCluster } from '../../../../tools/sim/simulated-cluster.js';
import { startCluster } from '../../../../tools/sim/start-cluster.js';
import { foreignConditionCases } from './foreign-condition.js';
import { latentBreakCases } from './latent-break.js';
import { NodeApi } from './node-api.js';
import { npmImageCases } from './npm-image.js';
import { ROLES, type PlaneContext, type Role } from './plane-case.js';
import { rebootCases } from './reboot.js';

const SEED = 17;
const PLANES = CONTROL_PLANES.filter((p) =>
  (process.env.CHAINMEDIC_PLANES ?? CONTROL_PLANES.join(',')).split(',').includes(p),
);

export function describeSimPlanes(): void {
  describe.each(PLANES)('the simulated hosts on the %s control plane', (plane) => {
    let cluster: SimulatedCluster | undefined;
    let context: PlaneContext | undefined;
    const ids = nodeIdentities(ROLES.length, 1, createRandom(SEED));
    const linux = ids.filter((i) => i.os === 'linux').map((i) => i.name);
    const roles = {
      ...(Object.fromEntries(ROLES.map((role, i) => [role, linux[i]])) as Record<Role, string>),
      windows: ids.find((i) => i.os === 'windows')?.name as string,
    };

    beforeAll(async () => {
      cluster = await startCluster(plane, {
        linuxNodes: ROLES.length,
        windowsNodes: 1,
        seed: SEED,
        timeScale: 0.05,
        broken: [{ node: roles.imageBug, cause: 'npm-image-bug' }],
      });
      context = { cluster, api: new NodeApi(cluster), roles };
    }, 180_000);
    afterAll(() => cluster?.stop());

    const ctx = () => context as PlaneContext;
    describe('a latent break', () => latentBreakCases(ctx));
    describe('a reboot', () => rebootCases(ctx));
    describe('a foreign node condition', () => foreignConditionCases(ctx));
    describe('the azure-npm image', () => npmImageCases(ctx));
  });
}
