import { COVERAGE_SHARE, planProbes, type AuditNode, type PlanInput } from '../../src/audit/plan.js';

const NOW = Date.parse('2026-11-30T07:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const SETTLE = 2 * MIN;
const INTERVAL = 24 * HOUR;

type Audit = PlanInput['audit'];
const audit = (o: Partial<Audit> = {}): Audit => ({
  enabled: true,
  afterKubeletStartMs: SETTLE,
  intervalMs: INTERVAL,
  maxConcurrentProbes: 3,
  ...o,
});

function n(name: string, o: Partial<AuditNode> = {}): AuditNode {
  return {
    name,
    uid: `uid-${name}`,
    eligible: true,
    probing: false,
    active: false,
    atGate: false,
    inStorm: false,
    ...o,
  };
}

function plan(nodes: AuditNode[], o: Partial<PlanInput> = {}) {
  return planProbes({ now: NOW, audit: audit(), paused: false, nodes, running: 0, ...o });
}

const names = (orders: ReturnType<typeof planProbes>) => orders.map((x) => `${x.reason}:${x.node}`);
/** A rolling probe started now: the pacing allows no other, only the other two reasons plan. */
const noRolling = { rollingStarts: [NOW] };

/** Probed recently enough that the rolling audit would not pick it. */
const fresh = NOW - HOUR;
const started = (at: number, reason: 'KubeletStarted' | 'Rebooted' = 'KubeletStarted', key = String(at)) => ({
  kubeletStart: { at, reason, key },
});

describe('planProbes: priority order', () => {
  it('kubelet starts, then the storm, then the rolling audit, each with its idempotent key', () => {
    const since = NOW - 10 * MIN;
    const nodes = [
      n('a-rolling'),
      n('b-storm', { inStorm: true, lastProbedAt: since - 1 }),
      n('c-kubelet', { lastProbedAt: fresh, ...started(NOW - 5 * MIN) }),
      n('d-reboot', { lastProbedAt: fresh, ...started(NOW - 10 * MIN, 'Rebooted', 'boot-2') }),
    ];
    const orders = plan(nodes, { stormSince: since, audit: audit({ maxConcurrentProbes: 10 }) });
    expect(orders).toEqual([
      { node: 'd-reboot', uid: 'uid-d-reboot', reason: 'Rebooted', key: 'Rebooted/boot-2' },
      {
        node: 'c-kubelet',
        uid: 'uid-c-kubelet',
        reason: 'KubeletStarted',
        key: `KubeletStarted/${NOW - 5 * MIN}`,
      },
      { node: 'b-storm', uid: 'uid-b-storm', reason: 'Storm', key: `Storm/${since}` },
      { node: 'a-rolling', uid: 'uid-a-rolling', reason: 'Rolling', key: 'Rolling/0' },
    ]);
  });

  it('a node due for several reasons is probed once, for the first', () => {
    const since = NOW - 10 * MIN;
    const both = n('x', { inStorm: true, lastProbedAt: NOW - 20 * HOUR, ...started(NOW - 5 * MIN) });
    expect(names(plan([both], { stormSince: since }))).toEqual(['KubeletStarted:x']);
  });

  it('kubelet starts go oldest first, then by name', () => {
    const nodes = [
      n('b', started(NOW - 3 * MIN)),
      n('a', started(NOW - 3 * MIN)),
      n('c', started(NOW - 30 * MIN)),
    ];
    expect(names(plan(nodes, noRolling))).toEqual([
      'KubeletStarted:c',
      'KubeletStarted:a',
      'KubeletStarted:b',
    ]);
  });

  it('storm probes go by name', () => {
    const since = NOW - MIN;
    const nodes = ['s3', 's1', 's2'].map((x) => n(x, { inStorm: true }));
    expect(names(plan(nodes, { ...noRolling, stormSince: since }))).toEqual([
      'Storm:s1',
      'Storm:s2',
      'Storm:s3',
    ]);
  });
});

describe('planProbes: the concurrency cap counts the probes already running', () => {
  const nodes = [
    n('k1', started(NOW - 5 * MIN)),
    n('k2', started(NOW - 4 * MIN)),
    n('s1', { inStorm: true, lastProbedAt: NOW - 20 * HOUR }),
    n('r1'),
    n('r2'),
  ];
  it.each([
    [0, 3, ['KubeletStarted:k1', 'KubeletStarted:k2', 'Storm:s1']],
    [1, 3, ['KubeletStarted:k1', 'KubeletStarted:k2']],
    [2, 3, ['KubeletStarted:k1']],
    [3, 3, []],
    [7, 3, []],
    [0, 1, ['KubeletStarted:k1']],
    // The first rolling probe starts the schedule: one, not a burst.
    [0, 10, ['KubeletStarted:k1', 'KubeletStarted:k2', 'Storm:s1', 'Rolling:r1']],
    [6, 10, ['KubeletStarted:k1', 'KubeletStarted:k2', 'Storm:s1', 'Rolling:r1']],
    [0, 0, []],
  ])('%i running, maxConcurrentProbes %i', (running, max, expected) => {
    const orders = plan(nodes, {
      running,
      stormSince: NOW - HOUR,
      audit: audit({ maxConcurrentProbes: max }),
    });
    expect(names(orders)).toEqual(expected);
  });
});

describe('planProbes: nothing when disabled or paused', () => {
  const nodes = [n('k', started(NOW - 5 * MIN)), n('s', { inStorm: true }), n('r')];
  it.each([
    ['disabled', { audit: audit({ enabled: false }) }],
    ['paused', { paused: true }],
    ['disabled and paused', { paused: true, audit: audit({ enabled: false }) }],
  ])('%s', (_name, o) => {
    expect(plan(nodes, { stormSince: NOW - MIN, ...o })).toEqual([]);
  });
  it('the same nodes plan when neither', () => {
    expect(names(plan(nodes, { stormSince: NOW - MIN }))).toEqual([
      'KubeletStarted:k',
      'Storm:s',
      'Rolling:r',
    ]);
  });
});

describe('planProbes: nodes never probed', () => {
  // Each node below qualifies for every reason (kubelet started, in the storm, never probed) but one flag.
  const due = { inStorm: true, ...started(NOW - 5 * MIN) };
  it.each([
    ['not eligible', { eligible: false }, []],
    ['probing', { probing: true }, []],
    ['active, past the gate', { active: true, atGate: false }, []],
    // Waiting at the storm's gate: only the storm probe explains the storm with it.
    ['active at the gate', { active: true, atGate: true }, ['Storm:x']],
    ['none of them', {}, ['KubeletStarted:x']],
  ])('%s', (_name, flags, expected) => {
    expect(names(plan([n('x', { ...due, ...flags })], { stormSince: NOW - MIN }))).toEqual(expected);
  });

  it('a node at the gate of a remediation is not rolling-probed outside a storm', () => {
    expect(plan([n('x', { active: true, atGate: true })])).toEqual([]);
  });
});

describe('planProbes: kubelet starts', () => {
  it.each([
    ['settle delay not passed', NOW - SETTLE + 1, NOW - HOUR, false],
    ['settle delay just passed', NOW - SETTLE, NOW - HOUR, true],
    ['started before the last probe', NOW - HOUR, NOW - 30 * MIN, false],
    ['started at the last probe', NOW - HOUR, NOW - HOUR, false],
    ['started after the last probe', NOW - 30 * MIN, NOW - HOUR, true],
    ['never probed', NOW - 30 * MIN, undefined, true],
  ])('%s: probed=%s', (_name, at, lastProbedAt, expected) => {
    const node = n('k', { ...started(at), ...(lastProbedAt !== undefined ? { lastProbedAt } : {}) });
    expect(names(plan([node], noRolling))).toEqual(expected ? ['KubeletStarted:k'] : []);
  });

  // A node whose kubelet started less than afterKubeletStart ago must not be rolling- or storm-probed: kubelet's
  // one-shot iptables init may not have run yet (a false latent node), and that probe's creation would become the
  // node's lastProbedAt (auditor.ts), after the start, so the KubeletStarted probe would never follow.
  it.each([
    ['due for the rolling audit', {}, {}],
    [
      'in the storm',
      { inStorm: true, lastProbedAt: NOW - HOUR },
      { ...noRolling, stormSince: NOW - 10 * MIN },
    ],
  ])(
    'a node in its settle window, %s, waits for the settle, then is probed for its start',
    (_name, flags, o) => {
      const start = NOW - 30_000;
      const node = n('k', {
        lastProbedAt: NOW - 20 * HOUR,
        ...flags,
        ...started(start, 'Rebooted', 'boot-2'),
      });
      expect(names(plan([node], o))).toEqual([]);
      expect(names(plan([node], { ...o, now: start + SETTLE }))).toEqual(['Rebooted:k']);
    },
  );
});

describe('planProbes: storm probes', () => {
  const since = NOW - 10 * MIN;
  it.each([
    ['probed before the storm began', since - 1, true],
    ['probed when it began', since, false],
    ['probed since', since + 1, false],
    ['never probed', undefined, true],
  ])('%s: probed=%s', (_name, lastProbedAt, expected) => {
    const node = n('s', { inStorm: true, ...(lastProbedAt !== undefined ? { lastProbedAt } : {}) });
    expect(names(plan([node], { ...noRolling, stormSince: since }))).toEqual(expected ? ['Storm:s'] : []);
  });

  it('only the affected nodes, only while the guard holds', () => {
    const nodes = [n('in', { inStorm: true, lastProbedAt: fresh }), n('out', { lastProbedAt: fresh })];
    expect(names(plan(nodes, { stormSince: since }))).toEqual(['Storm:in']);
    expect(plan(nodes)).toEqual([]);
  });
});

describe('planProbes: the rolling audit', () => {
  it('never probed first, then the oldest probe, then by name', () => {
    const nodes = [
      n('old', { lastProbedAt: NOW - 20 * HOUR }),
      n('older', { lastProbedAt: NOW - 23 * HOUR }),
      n('never-b'),
      n('never-a'),
      n('b-tie', { lastProbedAt: NOW - 21 * HOUR }),
      n('a-tie', { lastProbedAt: NOW - 21 * HOUR }),
    ];
    // A schedule running for nine paces with one probe taken: eight more slots have come.
    const pace = (INTERVAL * COVERAGE_SHARE) / nodes.length;
    const orders = plan(nodes, {
      rollingStarts: [NOW - 9 * pace],
      audit: audit({ maxConcurrentProbes: 10 }),
    });
    expect(orders.map((o) => `${o.node} ${o.key}`)).toEqual([
      'never-a Rolling/0',
      'never-b Rolling/0',
      'older Rolling/' + String(NOW - 23 * HOUR),
      'a-tie Rolling/' + String(NOW - 21 * HOUR),
      'b-tie Rolling/' + String(NOW - 21 * HOUR),
      'old Rolling/' + String(NOW - 20 * HOUR),
    ]);
  });

  it.each([
    ['probed less than half an interval ago', NOW - INTERVAL / 2 + 1, false],
    ['probed half an interval ago', NOW - INTERVAL / 2, true],
    ['probed an interval ago', NOW - INTERVAL, true],
  ])('%s: probed=%s', (_name, lastProbedAt, expected) => {
    expect(names(plan([n('r', { lastProbedAt })]))).toEqual(expected ? ['Rolling:r'] : []);
  });

  it('paces: one probe per 80% of the interval over the eligible nodes since the last rolling probe', () => {
    // 8 eligible nodes (2 more are not) over 10 hours: a pace of one rolling probe per hour.
    const nodes = [
      ...Array.from({ length: 8 }, (_, i) => n(`r${i}`)),
      n('w1', { eligible: false }),
      n('w2', { eligible: false }),
    ];
    const interval = 10 * HOUR;
    const pace = (interval * COVERAGE_SHARE) / 8;
    expect(pace).toBe(HOUR);
    const at = (elapsed: number, max = 10) =>
      plan(nodes, {
        rollingStarts: [NOW - elapsed],
        audit: audit({ intervalMs: interval, maxConcurrentProbes: max }),
      }).length;
    expect([at(0), at(HOUR - 1), at(HOUR), at(2.5 * HOUR), at(5 * HOUR), at(5 * HOUR, 2)]).toEqual([
      0, 0, 1, 2, 5, 2,
    ]);
    // The first rolling probe ever (or the first after a quiet window of ten paces): one, which starts the schedule;
    // a burst up to the cap would run the fleet faster than the pace whenever the window empties.
    expect(plan(nodes, { audit: audit({ intervalMs: interval, maxConcurrentProbes: 4 }) })).toHaveLength(1);
    expect(
      plan(nodes, {
        rollingStarts: [NOW - 10 * pace],
        audit: audit({ intervalMs: interval, maxConcurrentProbes: 4 }),
      }),
    ).toHaveLength(1);
  });
});

describe('planProbes: a 200-node fleet over time-scaled intervals', () => {
  interface Sim {
    probes: Map<string, number[]>;
    maxRunning: number;
    orders: number;
  }

  /** Each tick plans; a probe runs `durationMs` from its creation, which is the node's lastProbedAt. */
  function simulate(o: {
    size: number;
    ineligible: (i: number) => boolean;
    intervalMs: number;
    durationMs: number;
    tickMs: number;
    max: number;
    horizonMs: number;
    kubeletStarts?: (i: number, now: number) => boolean;
  }): Sim {
    const nodes = Array.from({ length: o.size }, (_, i) =>
      n(`node-${String(i).padStart(3, '0')}`, { eligible: !o.ineligible(i) }),
    );
    const until = new Map<string, number>();
    const probes = new Map<string, number[]>(nodes.map((x) => [x.name, []]));
    const rollingStarts: number[] = [];
    let maxRunning = 0;
    let count = 0;
    for (let now = 0; now <= o.horizonMs; now += o.tickMs) {
      nodes.forEach((x, i) => {
        x.probing = (until.get(x.name) ?? -1) > now;
        if (o.kubeletStarts?.(i, now))
          x.kubeletStart = { at: now, reason: 'KubeletStarted', key: String(now) };
      });
      const running = nodes.filter((x) => x.probing).length;
      const orders = planProbes({
        now,
        audit: audit({
          intervalMs: o.intervalMs,
          maxConcurrentProbes: o.max,
          afterKubeletStartMs: o.tickMs * 4,
        }),
        paused: false,
        nodes,
        running,
        rollingStarts,
      });
      maxRunning = Math.max(maxRunning, running + orders.length);
      for (const order of orders) {
        const node = nodes.find((x) => x.name === order.node)!;
        expect(node.eligible && !node.probing).toBe(true);
        node.lastProbedAt = now;
        until.set(node.name, now + o.durationMs);
        probes.get(node.name)!.push(now);
        if (order.reason === 'Rolling') rollingStarts.push(now);
        count++;
      }
    }
    return { probes, maxRunning, orders: count };
  }

  /** Every eligible node first probed within the interval, then at least once per interval; the ineligible never. */
  function expectCovered(
    sim: Sim,
    o: { intervalMs: number; tickMs: number; horizonMs: number },
    ineligible: string[],
  ) {
    for (const [name, times] of sim.probes) {
      if (ineligible.includes(name)) {
        expect([name, times]).toEqual([name, []]);
        continue;
      }
      expect([name, times[0]! <= o.intervalMs]).toEqual([name, true]);
      const withEnd = [...times, o.horizonMs];
      const gaps = withEnd.slice(1).map((t, i) => t - withEnd[i]!);
      expect([name, Math.max(...gaps) <= o.intervalMs]).toEqual([name, true]);
    }
  }

  const size = 200;
  const isIneligible = (i: number) => i % 25 === 7; // 8 nodes: Windows, NotReady, opted out...
  const ineligible = Array.from({ length: size }, (_, i) => i)
    .filter(isIneligible)
    .map((i) => `node-${String(i).padStart(3, '0')}`);

  it.each([
    // interval 200 s stands for 24 h: a pace of ~0.84 s per node; probes far shorter, or longer, than the pace.
    ['short probes', { durationMs: 300, max: 3 }],
    ['probes of 2.5 paces at 3 concurrent', { durationMs: 2_000, max: 3 }],
    ['one probe at a time', { durationMs: 500, max: 1 }],
  ])('%s: covered every interval, within the cap, never the ineligible', (_name, p) => {
    const o = { size, ineligible: isIneligible, intervalMs: 200_000, tickMs: 50, horizonMs: 600_000, ...p };
    const sim = simulate(o);
    expect(sim.maxRunning).toBeLessThanOrEqual(p.max);
    expectCovered(sim, o, ineligible);
    // Rolling only: never twice within half an interval.
    for (const times of sim.probes.values()) {
      times.slice(1).forEach((t, i) => expect(t - times[i]!).toBeGreaterThanOrEqual(o.intervalMs / 2));
    }
  });

  // Paced from the newest rolling probe, the remainder was lost at every take: with the auditor's tick (2 s) just
  // under the pace, each probe waited two ticks, not one pace. Here the tick is 0.66 of the pace (1433 nodes and
  // interval 1h with the 2 s tick look the same): 192 x 1.1 s > 200 s before the schedule was anchored.
  it('a tick close to the pace still covers the fleet within the interval', () => {
    const o = { size, ineligible: isIneligible, intervalMs: 200_000, tickMs: 550, horizonMs: 400_000 };
    const sim = simulate({ ...o, durationMs: 300, max: 3 });
    const firsts = [...sim.probes.values()].filter((t) => t.length > 0).map((t) => t[0]!);
    expect(firsts).toHaveLength(size - ineligible.length);
    expect(Math.max(...firsts)).toBeLessThanOrEqual(o.intervalMs);
  });

  it('a high concurrency limit does not outrun the pace: at most 11 rolling probes in any ten paces', () => {
    const o = { size, ineligible: isIneligible, intervalMs: 200_000, tickMs: 50, horizonMs: 400_000 };
    const sim = simulate({ ...o, durationMs: 300, max: 30 });
    const pace = (o.intervalMs * COVERAGE_SHARE) / (size - ineligible.length);
    const starts = [...sim.probes.values()].flat().sort((a, b) => a - b);
    const most = Math.max(...starts.map((t, i) => starts.slice(i).filter((u) => u < t + 10 * pace).length));
    expect(most).toBeLessThanOrEqual(11);
    expectCovered(sim, o, ineligible);
  });

  it('kubelet restarts on top of the audit: still within the cap, still covered', () => {
    // A deterministic scatter of restarts: node i restarts kubelet every (37 + i % 13) s, from 5 s on.
    const restarts = (i: number, now: number) =>
      !isIneligible(i) && i % 9 === 0 && now >= 5_000 && now % ((37 + (i % 13)) * 1_000) === 0;
    const o = {
      size,
      ineligible: isIneligible,
      intervalMs: 200_000,
      tickMs: 50,
      horizonMs: 600_000,
      durationMs: 400,
      max: 3,
      kubeletStarts: restarts,
    };
    const sim = simulate(o);
    expect(sim.maxRunning).toBeLessThanOrEqual(3);
    expectCovered(sim, o, ineligible);
    // The restarting nodes were probed after each restart (within the settle + a few ticks).
    const restarted = sim.probes.get('node-009')!;
    expect(restarted.length).toBeGreaterThan(600_000 / 50_000);
  });
});
