/**
 * The azure-npm image per node and the Node fields a storm explanation groups by, on either plane: an
 * npm-image-bug node's pod runs `<DaemonSet image>-legacy-bug`, the others the DaemonSet's image.
 */
import { NPM_NAMESPACE } from '../../../../tools/sim/actors/npm-objects.js';
import { LEGACY_BUG_SUFFIX } from '../../../../tools/sim/nodes/npm-image.js';
import { eventually } from '../../../kit/eventually.js';
import type { NodeApi } from './node-api.js';
import type { PlaneCase } from './plane-case.js';

const templateImage = async (api: NodeApi) =>
  (
    await api.rest.get<{ spec: { template: { spec: { containers: Array<{ image: string }> } } } }>(
      `/apis/apps/v1/namespaces/${NPM_NAMESPACE}/daemonsets/azure-npm`,
    )
  ).spec.template.spec.containers[0]!.image;

/** Waits until the node's azure-npm pod runs `image`, in its spec and its container status. */
const runsImage = (api: NodeApi, node: string, image: string) =>
  eventually(async () => {
    const pod = await api.npmPod(node);
    return pod?.spec.containers[0]?.image === image && pod.status?.containerStatuses?.[0]?.image === image
      ? pod
      : undefined;
  }, `${node}'s azure-npm running ${image}`);

export const npmImageCases: PlaneCase = (ctx) => {
  it('runs another azure-npm image on an image-bug node, the DaemonSet keeping the pod', async () => {
    const { api, roles } = ctx();
    const image = await templateImage(api);
    const bugged = await runsImage(api, roles.imageBug, `${image}${LEGACY_BUG_SUFFIX}`);
    await runsImage(api, roles.reboot, image);
    await runsImage(api, roles.imageLater, image);

    const repaired = await api.admin('POST', `nodes/${roles.imageBug}/repair-npm-image`);
    expect(repaired.status).toBe(200);
    const fixed = await runsImage(api, roles.imageBug, image);
    expect(fixed.metadata.uid).toBe(bugged.metadata.uid);
  });

  it('sets it when a node breaks by the image bug later', async () => {
    const { api, roles } = ctx();
    const image = await templateImage(api);
    const before = await runsImage(api, roles.imageLater, image);
    const res = await api.admin('POST', `nodes/${roles.imageLater}/break`, { cause: 'npm-image-bug' });
    expect(res.status).toBe(200);
    const after = await runsImage(api, roles.imageLater, `${image}${LEGACY_BUG_SUFFIX}`);
    expect(after.metadata.uid).toBe(before.metadata.uid);
  });

  it('labels every node with its pool, node image and zone, and reports its OS image, kernel and boot', async () => {
    const { api, cluster } = ctx();
    for (const name of cluster.nodeNames()) {
      const node = await api.node(name);
      for (const label of [
        'kubernetes.azure.com/agentpool',
        'kubernetes.azure.com/node-image-version',
        'topology.kubernetes.io/zone',
      ]) {
        expect(node.metadata.labels[label]).toEqual(expect.stringMatching(/./));
      }
      const info = node.status.nodeInfo;
      for (const value of [info.osImage, info.kernelVersion, info.bootID]) {
        expect(value).toEqual(expect.stringMatching(/./));
      }
    }
  });
};
