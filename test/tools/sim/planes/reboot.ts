/** Reboots through the admin route, on either plane: a new boot ID, a Starting Event, every container restarted. */
import { eventually } from '../../../kit/eventually.js';
import type { NodeApi } from './node-api.js';
import type { PlaneCase } from './plane-case.js';

const HINT = { backend: 'nft', family: 'ipv4', table: 'mangle', chain: 'KUBE-IPTABLES-HINT' } as const;

/** Reboots the node and waits for what its kubelet posts: the new boot ID, then a new Starting Event. */
async function reboot(api: NodeApi, node: string, body?: unknown): Promise<Record<string, unknown>> {
  const oldBoot = (await api.node(node)).status.nodeInfo.bootID;
  const starts = (await api.startingEvents(node)).length;
  const res = await api.admin('POST', `nodes/${node}/reboot`, body);
  expect(res.status).toBe(200);
  expect(res.body.bootId).toEqual(expect.any(String));
  expect(res.body.bootId).not.toBe(oldBoot);
  await eventually(
    async () => (await api.node(node)).status.nodeInfo.bootID === res.body.bootId,
    `the new bootID posted by ${node}`,
  );
  await eventually(
    async () => (await api.startingEvents(node)).length > starts,
    `a Starting Event of ${node}`,
  );
  return res.body;
}

export const rebootCases: PlaneCase = (ctx) => {
  it('reboots a Linux node: azure-npm starts again (restartCount + 1) and finds the chains', async () => {
    const { api, cluster, roles } = ctx();
    const node = roles.reboot;
    const before = await eventually(async () => {
      const s = await api.npmStatus(node);
      return s?.ready ? s : undefined;
    }, 'azure-npm Ready before the reboot');
    const body = await reboot(api, node);
    expect(body).toMatchObject({ brokenCause: null, latent: false, kubeletRestarts: 0 });
    const after = await eventually(async () => {
      const s = await api.npmStatus(node);
      return s && s.restartCount === before.restartCount + 1 && s.ready ? s : undefined;
    }, 'azure-npm restarted and Ready');
    expect(after.lastState?.terminated).toMatchObject({ exitCode: 255, reason: 'Unknown' });
    expect(cluster.iptables(node).hasChain(HINT)).toBe(true);
    expect(cluster.kubeletRestarts(node)).toBe(0);
  });

  it('reboots losing the race: the chains missing, azure-npm crash-looping until kubelet restarts', async () => {
    const { api, cluster, roles } = ctx();
    const node = roles.rebootRace;
    const before = await eventually(async () => {
      const s = await api.npmStatus(node);
      return s?.ready ? s : undefined;
    }, 'azure-npm Ready before the reboot');
    const body = await reboot(api, node, { loseRace: true });
    expect(body).toMatchObject({ brokenCause: 'kubelet-init-race', latent: false, kubeletRestarts: 0 });
    expect(cluster.iptables(node).hasChain(HINT)).toBe(false);
    await eventually(async () => {
      const s = await api.npmStatus(node);
      return s && s.restartCount > before.restartCount && s.state.waiting?.reason === 'CrashLoopBackOff';
    }, 'azure-npm crash-looping after the reboot');
    expect(cluster.brokenNodes()).toContainEqual({ node, cause: 'kubelet-init-race' });
    await cluster.runOnHost(node, ['systemctl', 'restart', 'kubelet']);
    expect(cluster.iptables(node).hasChain(HINT)).toBe(true);
    await eventually(async () => (await api.npmStatus(node))?.ready === true, 'azure-npm Ready again');
  });

  it('reboots a Windows node (no iptables) and refuses loseRace there', async () => {
    const { api, roles } = ctx();
    const node = roles.windows;
    const refused = await api.admin('POST', `nodes/${node}/reboot`, { loseRace: true });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/not a Linux node/);
    const before = await eventually(async () => {
      const s = await api.npmStatus(node);
      return s?.ready ? s : undefined;
    }, 'azure-npm-win Ready before the reboot');
    const body = await reboot(api, node);
    expect(body).toMatchObject({ os: 'windows', iptables: null });
    await eventually(async () => {
      const s = await api.npmStatus(node);
      return s?.ready === true && s.restartCount === before.restartCount + 1;
    }, 'azure-npm-win restarted and Ready');
  });

  it('refuses a reboot body it does not know, and an unknown node', async () => {
    const { api, roles } = ctx();
    const bad = await api.admin('POST', `nodes/${roles.reboot}/reboot`, { loseRace: 'yes' });
    expect(bad.status).toBe(400);
    const unknownField = await api.admin('POST', `nodes/${roles.reboot}/reboot`, { force: true });
    expect(unknownField.status).toBe(400);
    expect((await api.admin('POST', 'nodes/no-such-node/reboot')).status).toBe(404);
  });
};
