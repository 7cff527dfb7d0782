/** The simulated host's latent break and reboot (tools/sim/actors/host.ts): pure. */
import { IPTABLES_UNIT, KUBELET_UNIT, SimHost } from '../../../../tools/sim/actors/host.js';
import { KUBELET_CHAINS, type ChainEntry } from '../../../../tools/sim/actors/iptables-state.js';
import { runNpmDetection } from '../../../../tools/sim/actors/npm-detection.js';
import { breakHost } from '../../../../tools/sim/broken-nodes.js';

const BOOT = Date.parse('2026-11-24T18:00:00Z');
const NOW = Date.parse('2026-11-30T07:00:00Z');
const host = () => new SimHost('n1', { bootWallMs: BOOT, pid: 100 });
const kubeletChains = (h: SimHost): ChainEntry[] =>
  KUBELET_CHAINS.map((c) => ({ backend: h.backend, family: 'ipv4' as const, ...c }));
const missing = (h: SimHost) => kubeletChains(h).filter((c) => !h.iptables.hasChain(c));

describe('a latent break', () => {
  it('loses the race as the init-race break does, tells the restart listeners once, and counts no restart', () => {
    const plain = host();
    plain.breakByInitRace(NOW);
    const latent = host();
    let told = 0;
    latent.onKubeletRestart(() => told++);
    breakHost(latent, 'kubelet-init-race', NOW, { latent: true });
    expect(told).toBe(1);
    expect(latent.brokenCause).toBe('kubelet-init-race');
    expect(latent.kubeletRestarts).toBe(0);
    expect(latent.iptables.userChains()).toEqual(plain.iptables.userChains());
    expect(missing(latent)).toEqual(kubeletChains(latent));
    expect(latent.journalFor(KUBELET_UNIT, 50)).toEqual(plain.journalFor(KUBELET_UNIT, 50));
    expect(latent.journalFor(KUBELET_UNIT, 50).join('\n')).toContain(
      '"Failed to initialize iptables rules; some functionality may be missing." protocol="IPv4"',
    );
    // A later kubelet restart heals it, and that one counts.
    latent.restartUnit(KUBELET_UNIT, NOW + 60_000);
    expect(latent.brokenCause).toBeNull();
    expect(latent.kubeletRestarts).toBe(1);
    expect(missing(latent)).toEqual([]);
  });

  it('is refused for the image bug', () => {
    expect(() => breakHost(host(), 'npm-image-bug', NOW, { latent: true })).toThrow(
      /latent applies to cause "kubelet-init-race" only/,
    );
  });
});

describe('a reboot', () => {
  it('starts a new boot: an empty journal but for its own units, the chains back, nothing counted', () => {
    const h = host();
    h.breakByInitRace(NOW - 120_000);
    let told = 0;
    h.onKubeletRestart(() => told++);
    h.reboot(NOW);
    expect(told).toBe(0);
    expect(h.kubeletRestarts).toBe(0);
    expect(h.brokenCause).toBeNull();
    expect(missing(h)).toEqual([]);
    expect(runNpmDetection(h, NOW).backend).toBe('nft');
    const journal = h.journalFor(KUBELET_UNIT, 50);
    expect(journal.join('\n')).not.toContain('Failed to initialize');
    expect(journal.join('\n')).toContain('"Initialized iptables rules." protocol="IPv4"');
    expect(h.unitStartedAt(KUBELET_UNIT)).toBeLessThanOrEqual(NOW);
    expect(h.unitStartedAt(KUBELET_UNIT)).toBeGreaterThan(NOW - 60_000);
  });

  it('with loseRace leaves the kubelet chains missing, the iptables unit started within a second of kubelet', () => {
    const h = host();
    h.reboot(NOW, { loseRace: true });
    expect(h.brokenCause).toBe('kubelet-init-race');
    expect(missing(h)).toEqual(kubeletChains(h));
    expect(runNpmDetection(h, NOW).backend).toBeNull();
    const gap = (h.unitStartedAt(KUBELET_UNIT) as number) - (h.unitStartedAt(IPTABLES_UNIT) as number);
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(1_000);
    expect(h.journalFor(KUBELET_UNIT, 50).join('\n')).toContain('Failed to initialize iptables rules');
    expect(h.kubeletRestarts).toBe(0);
    h.restartUnit(KUBELET_UNIT, NOW + 60_000);
    expect(missing(h)).toEqual([]);
  });

  it('keeps a legacy-only host legacy and its image bug', () => {
    const h = host();
    h.breakByNpmImageBug();
    h.reboot(NOW);
    expect(h.brokenCause).toBe('npm-image-bug');
    expect(h.backend).toBe('legacy');
    expect(missing(h)).toEqual([]);
    expect(runNpmDetection(h, NOW).backend).toBeNull();
  });
});
