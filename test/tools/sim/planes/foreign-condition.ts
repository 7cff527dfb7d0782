/**
 * A Node condition another component owns (chainmedic's KubeletIPTablesInitFailed), written as the operator writes
 * it (a strategic merge patch on nodes/status), on either plane: merged by type, kept by the kubelet's own status
 * posts and by the node lifecycle controller.
 */
import { STRATEGIC_MERGE_PATCH } from '../../../../src/kube/rest.js';
import { eventually } from '../../../kit/eventually.js';
import type { Condition, NodeApi } from './node-api.js';
import type { PlaneCase } from './plane-case.js';

const TYPE = 'KubeletIPTablesInitFailed';
const KUBELET_TYPES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];

const foreign = (status: string, reason: string, at: string): Condition => ({
  type: TYPE,
  status,
  reason,
  message: `chainmedic: ${reason}`,
  lastHeartbeatTime: at,
  lastTransitionTime: at,
});
const setForeign = (api: NodeApi, node: string, condition: Condition) =>
  api.rest.patch(`/api/v1/nodes/${node}/status`, STRATEGIC_MERGE_PATCH, {
    status: { conditions: [condition] },
  });
const without = (c: Condition) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message });

export const foreignConditionCases: PlaneCase = (ctx) => {
  it('adds and updates the condition by type, leaving every other condition as it was', async () => {
    const { api, roles } = ctx();
    const node = roles.conditions;
    const before = (await api.node(node)).status.conditions;
    const at = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    await setForeign(api, node, foreign('True', 'ChainsMissing', at));
    const added = (await api.node(node)).status.conditions;
    // kube-apiserver puts an item new to a merged list before the ones the patch did not name.
    expect(added.map((c) => c.type)).toEqual([TYPE, ...before.map((c) => c.type)]);
    expect(added.find((c) => c.type === TYPE)).toEqual(foreign('True', 'ChainsMissing', at));
    // The kubelet may have posted a heartbeat meanwhile: compare all but the heartbeat times.
    expect(added.filter((c) => c.type !== TYPE).map(without)).toEqual(before.map(without));
    expect(added.find((c) => c.type === 'Ready')?.status).toBe('True');

    await setForeign(api, node, foreign('False', 'ChainsPresent', at));
    const updated = (await api.node(node)).status.conditions;
    expect(updated.map((c) => c.type)).toEqual(added.map((c) => c.type));
    expect(updated.filter((c) => c.type === TYPE)).toEqual([foreign('False', 'ChainsPresent', at)]);
    expect(updated.filter((c) => c.type !== TYPE).map(without)).toEqual(before.map(without));
  });

  it("keeps it through the kubelet's next status post", async () => {
    const { api, cluster, roles } = ctx();
    const node = roles.conditions;
    const starts = (await api.startingEvents(node)).length;
    await cluster.runOnHost(node, ['systemctl', 'restart', 'kubelet']);
    // The Starting Event follows the status post.
    await eventually(async () => (await api.startingEvents(node)).length > starts, 'a Starting Event');
    const kept = await api.condition(node, TYPE);
    expect(kept && without(kept)).toEqual(without(foreign('False', 'ChainsPresent', '')));
  });

  it('keeps it while the node lifecycle controller marks the silent node Unknown, and after', async () => {
    const { api, cluster, roles } = ctx();
    const node = roles.conditions;
    cluster.setNodeReady(node, false);
    const unknown = await eventually(
      async () => {
        const n = await api.node(node);
        return n.status.conditions.find((c) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
      },
      'Ready Unknown',
      60_000,
    );
    for (const type of KUBELET_TYPES) {
      expect(unknown.status.conditions.find((c) => c.type === type)?.status).toBe('Unknown');
    }
    const during = unknown.status.conditions.find((c) => c.type === TYPE);
    expect(during && without(during)).toEqual(without(foreign('False', 'ChainsPresent', '')));
    cluster.setNodeReady(node, true);
    await eventually(
      async () => (await api.condition(node, 'Ready'))?.status === 'True',
      'Ready again',
      60_000,
    );
    const after = await api.condition(node, TYPE);
    expect(after && without(after)).toEqual(without(foreign('False', 'ChainsPresent', '')));
  });
};
