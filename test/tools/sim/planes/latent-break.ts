/** A latent break through the admin route, on either plane: kubelet loses the race, azure-npm keeps running. */
import type { ChainEntry } from '../../../../tools/sim/actors/iptables-state.js';
import { eventually } from '../../../kit/eventually.js';
import type { PlaneCase } from './plane-case.js';

const KUBELET_CHAINS: ChainEntry[] = [
  { backend: 'nft', family: 'ipv4', table: 'mangle', chain: 'KUBE-IPTABLES-HINT' },
  { backend: 'nft', family: 'ipv4', table: 'filter', chain: 'KUBE-FIREWALL' },
  { backend: 'nft', family: 'ipv4', table: 'mangle', chain: 'KUBE-KUBELET-CANARY' },
];

export const latentBreakCases: PlaneCase = (ctx) => {
  it('breaks a node latently: chains missing, a Starting Event, azure-npm still running', async () => {
    const { api, cluster, roles } = ctx();
    const node = roles.latent;
    const before = await eventually(async () => {
      const s = await api.npmStatus(node);
      return s?.ready ? s : undefined;
    }, 'azure-npm Ready before the break');
    const starts = (await api.startingEvents(node)).length;
    const breakSecond = Math.floor(Date.now() / 1000) * 1000;

    const res = await api.admin('POST', `nodes/${node}/break`, { cause: 'kubelet-init-race', latent: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ brokenCause: 'kubelet-init-race', latent: true, kubeletRestarts: 0 });
    for (const chain of KUBELET_CHAINS) expect(cluster.iptables(node).hasChain(chain)).toBe(false);
    const journal = await cluster.runOnHost(node, [
      'journalctl',
      '-u',
      'kubelet',
      '-b',
      '--no-pager',
      '-o',
      'short-iso',
      '-n',
      '50',
    ]);
    expect(journal.stdout).toContain(
      'Failed to initialize iptables rules; some functionality may be missing.',
    );

    // kubelet posts its status, then its Starting Event: once the Event is there, the status is too.
    const events = await eventually(async () => {
      const e = await api.startingEvents(node);
      return e.length > starts ? e : undefined;
    }, 'a new Starting Event');
    for (const event of events) {
      expect(event).toMatchObject({
        message: 'Starting kubelet.',
        count: 1,
        involvedObject: { kind: 'Node', name: node },
        source: { component: 'kubelet', host: node },
        metadata: { namespace: 'default' },
      });
    }
    const ready = await api.condition(node, 'Ready');
    expect(ready?.status).toBe('True');
    expect(Date.parse(ready?.lastHeartbeatTime ?? '')).toBeGreaterThanOrEqual(breakSecond);

    const after = await api.npmStatus(node);
    expect(after).toMatchObject({ ready: true, restartCount: before.restartCount, image: before.image });
    expect(after?.state.running).toBeDefined();
    expect(cluster.kubeletRestarts(node)).toBe(0);
    expect(cluster.brokenNodes()).toContainEqual({ node, cause: 'kubelet-init-race', latent: true });
    expect((await api.admin('GET', `nodes/${node}`)).body).toMatchObject({ latent: true });
  });

  it('heals at the next kubelet restart, which counts; azure-npm never restarted', async () => {
    const { api, cluster, roles } = ctx();
    const node = roles.latent;
    const before = await api.npmStatus(node);
    const restart = await cluster.runOnHost(node, ['systemctl', 'restart', 'kubelet']);
    expect(restart.exitCode).toBe(0);
    for (const chain of KUBELET_CHAINS) expect(cluster.iptables(node).hasChain(chain)).toBe(true);
    expect(cluster.kubeletRestarts(node)).toBe(1);
    expect((await api.admin('GET', `nodes/${node}`)).body).toMatchObject({
      brokenCause: null,
      latent: false,
      kubeletRestarts: 1,
    });
    expect(cluster.brokenNodes().map((b) => b.node)).not.toContain(node);
    expect(await api.npmStatus(node)).toMatchObject({ ready: true, restartCount: before?.restartCount });
  });

  it('refuses latent with any other cause, and a latent that is not a boolean', async () => {
    const { api, roles } = ctx();
    const bad = await api.admin('POST', `nodes/${roles.latent}/break`, {
      cause: 'npm-image-bug',
      latent: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ reason: 'BadRequest', code: 400 });
    expect(bad.body.message).toMatch(/latent applies to cause "kubelet-init-race" only, not "npm-image-bug"/);
    const wrong = await api.admin('POST', `nodes/${roles.latent}/break`, {
      cause: 'kubelet-init-race',
      latent: 1,
    });
    expect(wrong.status).toBe(400);
    expect((await api.admin('GET', `nodes/${roles.latent}`)).body).toMatchObject({ brokenCause: null });
  });
};
