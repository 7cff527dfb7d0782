import { HEADLINE_MAX, explainStorm, type NodeFacts } from '../../src/remediation/storm.js';

const OLD_NPM = 'mcr.microsoft.com/containernetworking/azure-npm:v1.5.45';
const BAD_NPM = 'mcr.microsoft.com/containernetworking/azure-npm:v1.6.26';
const POOLS = ['nodepool1', 'nodepool2', 'nodepool3', 'nodepool4', 'nodepool5'];
const ZONES = ['westeurope-1', 'westeurope-2', 'westeurope-3'];
const NODE_IMAGES = ['AKSUbuntu-2204gen2containerd-202510.03.0', 'AKSUbuntu-2204gen2containerd-202511.01.0'];

/** A deterministic fleet: node i in pool i%5, zone i%3, node image i%2, all on the same azure-npm image. */
function fleetOf(size: number, tweak: (node: NodeFacts, i: number) => void = () => undefined): NodeFacts[] {
  return Array.from({ length: size }, (_, i) => {
    const node: NodeFacts = {
      name: `aks-${POOLS[i % POOLS.length]}-${String(i).padStart(5, '0')}`,
      agentPool: POOLS[i % POOLS.length],
      zone: ZONES[i % ZONES.length],
      nodeImageVersion: NODE_IMAGES[i % NODE_IMAGES.length],
      osImage: 'Ubuntu 22.04.5 LTS',
      kernelVersion: '5.15.0-1079-azure',
      npmImage: OLD_NPM,
    };
    tweak(node, i);
    return node;
  });
}

/** Sets the finding of the first `count` nodes (in place) and returns the nodes. */
function probe(nodes: NodeFacts[], count: number, finding: NodeFacts['finding']): NodeFacts[] {
  nodes.slice(0, count).forEach((n) => (n.finding = finding));
  return nodes;
}

/** A reproducible shuffle (LCG), so the order-independence test does not depend on Math.random. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('explainStorm', () => {
  it('an image-bug storm (a rare azure-npm image, chains present) suspects the image and names it', () => {
    // 60 of 5,000 nodes run the bad image; 48 of them plus 2 others are affected; 12 probed, chains present.
    const fleet = fleetOf(5000, (n, i) => {
      if (i % 79 === 7) n.npmImage = BAD_NPM; // 64 nodes spread over every pool and zone
    });
    const bad = fleet.filter((n) => n.npmImage === BAD_NPM);
    const affected = probe([...bad.slice(0, 48), ...fleet.slice(0, 2)], 12, 'present');

    const result = explainStorm(affected, fleet);

    expect(result.suspect).toBe('image');
    expect(result.groups[0]).toEqual({
      attribute: 'npmImage',
      value: BAD_NPM,
      affected: 48,
      fleet: bad.length,
    });
    expect(result.headline).toContain(`48 of 50 affected nodes run azure-npm image ${BAD_NPM}`);
    expect(result.headline).toContain('probed 12 of 50');
    expect(result.headline).toMatch(/suspect the azure-npm image, not kubelet/);
    // The fleet's own image is not over-represented in the storm: it is no group.
    expect(result.groups.some((g) => g.value === OLD_NPM)).toBe(false);
  });

  it('a race storm spread over pools and zones, on the fleet image, suspects kubelet and names no attribute', () => {
    const fleet = fleetOf(5000);
    // Every 97th node: spread over all pools, zones and node images, all on the fleet's azure-npm image.
    const affected = probe(
      fleet.filter((_, i) => i % 97 === 0),
      15,
      'missing',
    );
    expect(affected.length).toBeGreaterThan(50);

    const result = explainStorm(affected, fleet);

    expect(result.suspect).toBe('kubelet');
    expect(result.headline).toMatch(/^Nothing most of the 52 affected nodes share sets them apart/);
    expect(result.headline).toContain('chains missing on 15 (probed 15 of 52)');
    expect(result.headline).toContain('restarting kubelet heals');
    for (const value of [...POOLS, ...ZONES, ...NODE_IMAGES, OLD_NPM])
      expect(result.headline).not.toContain(value);
  });

  it('a value most affected nodes share but less than twice as often as the fleet is not named', () => {
    // nodepool-big holds 40% of the fleet and 60% of the storm: over-represented (a group), not telling.
    const fleet = fleetOf(100, (n, i) => {
      n.agentPool = i < 40 ? 'nodepool-big' : 'nodepool-small';
    });
    const affected = probe([...fleet.slice(0, 6), ...fleet.slice(60, 64)], 10, 'missing');

    const result = explainStorm(affected, fleet);

    expect(result.groups).toContainEqual({
      attribute: 'agentPool',
      value: 'nodepool-big',
      affected: 6,
      fleet: 40,
    });
    expect(result.headline).toMatch(/^Nothing most of the 10 affected nodes share/);

    // A rare pool held by 4 of 10 affected: telling, but not what most share.
    const rare = fleetOf(100, (n, i) => {
      n.agentPool = i < 4 ? 'nodepool-rare' : 'nodepool-big';
    });
    const split = explainStorm(probe([...rare.slice(0, 4), ...rare.slice(50, 56)], 10, 'missing'), rare);
    expect(split.groups).toContainEqual({
      attribute: 'agentPool',
      value: 'nodepool-rare',
      affected: 4,
      fleet: 4,
    });
    expect(split.headline).toMatch(/^Nothing most of the 10 affected nodes share/);
  });

  it('an affected node missing from the fleet still counts in the fleet', () => {
    const fleet = fleetOf(10);
    const stray: NodeFacts = { name: 'aks-gone-0', npmImage: BAD_NPM, finding: 'present' };
    const affected: NodeFacts[] = [
      stray,
      { ...fleet[9], name: 'aks-nodepool5-00009', npmImage: BAD_NPM, finding: 'present' },
    ];

    const result = explainStorm(affected, fleet);

    expect(result.groups).toContainEqual({ attribute: 'npmImage', value: BAD_NPM, affected: 2, fleet: 2 });
    expect(result.headline).toContain(
      `2 of 2 affected nodes run azure-npm image ${BAD_NPM} (2 of 11 Linux nodes do)`,
    );
  });

  it('a race storm concentrated in one pool on a new node image names the most telling of the two', () => {
    // nodepool3 (1,000 nodes) is half on the new node image (500 nodes); 45 of 50 affected are in nodepool3
    // on the new image, 5 elsewhere. The node image version is held by more of the fleet (2,500) than the pool
    // (1,000), but the 45 new-image nodes of nodepool3 are the storm: the pool scores higher.
    const fleet = fleetOf(5000);
    const inPool = fleet.filter(
      (n) => n.agentPool === 'nodepool3' && n.nodeImageVersion === NODE_IMAGES[1] && n.zone !== undefined,
    );
    const elsewhere = fleet.filter(
      (n) => n.agentPool === 'nodepool1' && n.nodeImageVersion === NODE_IMAGES[0],
    );
    const affected = probe([...inPool.slice(0, 45), ...elsewhere.slice(0, 5)], 20, 'missing');

    const result = explainStorm(affected, fleet);

    expect(result.suspect).toBe('kubelet');
    expect(result.headline).toMatch(
      /^45 of 50 affected nodes are in node pool nodepool3 \(1000 of 5000 Linux nodes do\);/,
    );
    expect(result.headline).toContain('suspect kubelet');
    const pool = result.groups.findIndex((g) => g.attribute === 'agentPool' && g.value === 'nodepool3');
    const image = result.groups.findIndex(
      (g) => g.attribute === 'nodeImageVersion' && g.value === NODE_IMAGES[1],
    );
    expect(pool).toBeGreaterThanOrEqual(0);
    expect(image).toBeGreaterThan(pool);
  });

  it('names the node image version when the new image is rolled to a few nodes across every pool', () => {
    const NEW = 'AKSUbuntu-2204gen2containerd-202512.02.0';
    const fleet = fleetOf(5000, (n, i) => {
      if (i % 50 === 3) n.nodeImageVersion = NEW; // 100 nodes, every pool and zone
    });
    const fresh = fleet.filter((n) => n.nodeImageVersion === NEW);
    const affected = probe([...fresh.slice(0, 40), ...fleet.slice(4, 8)], 30, 'missing');

    const result = explainStorm(affected, fleet);

    expect(result.suspect).toBe('kubelet');
    expect(
      result.headline.startsWith(`40 of 44 affected nodes run node image version ${NEW} (100 of 5000`),
    ).toBe(true);
  });

  it('nothing probed, too few probed, or mixed findings: the suspect is unknown', () => {
    const fleet = fleetOf(500, (n, i) => {
      if (i < 20) n.npmImage = BAD_NPM;
    });
    const affected = fleet.slice(0, 20);

    const none = explainStorm(affected, fleet);
    expect(none.suspect).toBe('unknown');
    expect(none.headline).toContain('probed 0 of 20');
    expect(none.headline).toContain(BAD_NPM); // the shared attribute is still named
    expect(none.groups.some((g) => g.attribute === 'finding')).toBe(false);

    const two = explainStorm(
      affected.map((n, i) => (i < 2 ? { ...n, finding: 'present' as const } : n)),
      fleet,
    );
    expect(two.suspect).toBe('unknown');
    expect(two.headline).toContain('probed 2 of 20 (0 missing, 2 present, 0 unknown)');

    const mixed = explainStorm(
      affected.map((n, i) => ({ ...n, finding: (['missing', 'present', 'unknown'] as const)[i % 3] })),
      fleet,
    );
    expect(mixed.suspect).toBe('unknown');
    expect(mixed.headline).toContain('probed 20 of 20 (7 missing, 7 present, 6 unknown)');

    // Most of the probed, not the larger of the two: 9 present, 6 missing, 5 unknown is no majority.
    const plurality = explainStorm(
      affected.map(
        (n, i) => ({ ...n, finding: i < 9 ? 'present' : i < 15 ? 'missing' : 'unknown' }) as NodeFacts,
      ),
      fleet,
    );
    expect(plurality.suspect).toBe('unknown');

    // A small storm wholly probed decides on fewer than three.
    expect(
      explainStorm(
        affected.slice(0, 2).map((n) => ({ ...n, finding: 'missing' as const })),
        fleet,
      ).suspect,
    ).toBe('kubelet');
  });

  it('skips missing values: no group and no headline says "undefined"', () => {
    const fleet = fleetOf(300, (n, i) => {
      if (i < 40) {
        delete n.npmImage;
        delete n.zone;
        n.agentPool = '';
      }
    });
    const affected = probe(fleet.slice(0, 40), 40, 'missing');

    const result = explainStorm(affected, fleet, 100);

    expect(result.groups.length).toBeGreaterThan(0);
    for (const g of result.groups) {
      expect(['npmImage', 'zone', 'agentPool']).not.toContain(g.attribute);
      expect(g.value).not.toBe('undefined');
    }
    expect(result.headline).not.toMatch(/undefined/);
  });

  it('is deterministic: input order does not matter and ties go by attribute order, then value', () => {
    // Two zones and two pools equally over-represented: the tie goes npm image < pool < zone, then by value.
    const fleet: NodeFacts[] = [];
    for (let i = 0; i < 400; i++) {
      fleet.push({
        name: `n${i}`,
        // Value order (a-zone < pool) is the opposite of attribute order (agentPool < zone).
        agentPool: i < 10 ? 'pool-b' : i < 20 ? 'pool-a' : 'pool-c',
        zone: i < 10 ? 'a-zone-2' : i < 20 ? 'a-zone-1' : 'a-zone-3',
        npmImage: i < 20 ? 'img-b' : 'img-a',
      });
    }
    const affected = fleet.slice(0, 20);
    const expected = [
      { attribute: 'npmImage', value: 'img-b', affected: 20, fleet: 20 },
      { attribute: 'agentPool', value: 'pool-a', affected: 10, fleet: 10 },
      { attribute: 'agentPool', value: 'pool-b', affected: 10, fleet: 10 },
      { attribute: 'zone', value: 'a-zone-1', affected: 10, fleet: 10 },
      { attribute: 'zone', value: 'a-zone-2', affected: 10, fleet: 10 },
    ];

    const first = explainStorm(affected, fleet);
    expect(first.groups).toEqual(expected);
    for (const seed of [1, 2, 3]) {
      expect(explainStorm(shuffled(affected, seed), shuffled(fleet, seed + 10))).toEqual(first);
    }
    expect(explainStorm(affected, fleet, 2).groups).toEqual(expected.slice(0, 2));
    expect(explainStorm(affected, fleet, 0).groups).toEqual([]);
  });

  it('bounds the headline when values are long', () => {
    const long = `registry.example.com/${'x'.repeat(1000)}/azure-npm:v1.6.26-hotfix`;
    const fleet = fleetOf(1000, (n, i) => {
      if (i < 30) n.npmImage = long;
    });
    const affected = probe(fleet.slice(0, 30), 10, 'unknown');

    const result = explainStorm(affected, fleet);

    expect(result.headline.length).toBeLessThanOrEqual(HEADLINE_MAX);
    expect(result.headline).toContain('azure-npm:v1.6.26-hotfix'); // the tag survives the cut
    expect(result.groups[0]?.value).toBe(long); // groups keep the whole value
  });

  it('no affected nodes: nothing to explain', () => {
    expect(explainStorm([], fleetOf(10))).toEqual({
      groups: [],
      headline: 'No affected nodes: no storm to explain.',
      suspect: 'unknown',
    });
  });

  it('computes over a 5,000-node fleet with half of it affected', () => {
    const fleet = fleetOf(5000, (n, i) => {
      n.finding = i % 2 === 0 ? 'missing' : undefined;
      if (i % 10 === 0) n.npmImage = BAD_NPM;
    });
    const affected = fleet.filter((_, i) => i % 2 === 0);

    const result = explainStorm(affected, fleet, 50);

    expect(result.suspect).toBe('kubelet');
    expect(result.headline).toContain('probed 2500 of 2500');
    // Every listed group is over-represented and its counts are consistent.
    for (const g of result.groups) {
      expect(g.affected).toBeLessThanOrEqual(g.fleet);
      expect(g.affected * 5000).toBeGreaterThan(g.fleet * 2500);
    }
    expect(result.groups).toContainEqual({
      attribute: 'npmImage',
      value: BAD_NPM,
      affected: 500,
      fleet: 500,
    });
  });
});
