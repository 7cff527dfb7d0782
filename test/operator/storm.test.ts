import { pino } from 'pino';
import { API_VERSION, RELEASE_STORM_ANNOTATION } from '../../src/api/index.js';
import type { EventInput, EventRecorder } from '../../src/kube/event-recorder.js';
import { StormTracker, stormId, type StormStatus } from '../../src/operator/storm.js';
import type { CachedPolicy } from '../../src/operator/trim.js';
import type { NodeFacts } from '../../src/remediation/storm.js';
import type { OperatorMetrics } from '../../src/server/index.js';

const T0 = Date.parse('2026-11-30T07:15:00.123Z');
const MIN = 60_000;

/** The policy the informer holds: its release annotation and the storm its status names. */
interface PolicyState {
  release?: string;
  storm?: StormStatus;
  gone?: boolean;
}

function harness(initial: PolicyState = {}) {
  const state: PolicyState = { ...initial };
  const events: EventInput[] = [];
  const groups: unknown[][] = [];
  let mayAct = true;
  const policy = (): CachedPolicy | undefined =>
    state.gone
      ? undefined
      : ({
          apiVersion: API_VERSION,
          kind: 'RemediationPolicy',
          metadata: {
            name: 'default',
            uid: 'policy-uid',
            annotations: state.release ? { [RELEASE_STORM_ANNOTATION]: state.release } : {},
          },
          spec: {},
          ...(state.storm ? { status: { storm: state.storm } } : {}),
        } as unknown as CachedPolicy);
  const tracker = new StormTracker({
    policy,
    recorder: {
      record: async (e: EventInput) => {
        events.push(e);
      },
    } as unknown as EventRecorder,
    log: pino({ level: 'silent' }),
    metrics: { setStormGroups: (g: unknown[]) => groups.push([...g]) } as unknown as OperatorMetrics,
    mayAct: () => mayAct,
  });
  return {
    tracker,
    state,
    events,
    groups,
    reasons: () => events.map((e) => e.reason),
    setMayAct: (v: boolean) => (mayAct = v),
    /** What the leader publishes on the policy's status (the next leader adopts it). */
    publish: () => {
      const s = tracker.status();
      if (s) state.storm = s;
      else delete state.storm;
    },
  };
}

/** 6 affected nodes of 20, all on one azure-npm image the rest of the fleet does not run. */
function facts(): { affected: NodeFacts[]; fleet: NodeFacts[] } {
  const fleet: NodeFacts[] = Array.from({ length: 20 }, (_, i) => ({
    name: `aks-np-${i}`,
    agentPool: 'np',
    npmImage: i < 6 ? 'azure-npm:v1.6.26' : 'azure-npm:v1.5.45',
    ...(i < 4 ? { finding: 'present' as const } : {}),
  }));
  return { affected: fleet.slice(0, 6), fleet };
}

describe('stormId', () => {
  it.each([
    ['2026-11-30T07:15:00.123Z', 'storm-20261130t071500z'],
    ['2026-01-02T03:04:05.000Z', 'storm-20260102t030405z'],
  ])('%s -> %s', (at, id) => {
    expect(stormId(Date.parse(at))).toBe(id);
    expect(id).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('sorts as time does', () => {
    const ids = [T0 + 3_600_000, T0, T0 + 1_000].map(stormId);
    expect([...ids].sort()).toEqual([stormId(T0), stormId(T0 + 1_000), stormId(T0 + 3_600_000)]);
  });
});

describe('StormTracker: begin, hold, end', () => {
  it('no storm: no view, no status, no since', () => {
    const h = harness();
    h.tracker.observe(false, T0);
    expect([h.tracker.view(), h.tracker.status(), h.tracker.since()]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(h.groups).toEqual([]);
  });

  it('begins named after its start, and keeps that name while it holds', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.tracker.observe(true, T0 + 5 * MIN);
    expect(h.tracker.view()).toEqual({ id: 'storm-20261130t071500z', released: false });
    expect(h.tracker.since()).toBe(T0);
    expect(h.tracker.status()).toEqual({ id: 'storm-20261130t071500z', since: '2026-11-30T07:15:00.123Z' });
    expect(h.events).toEqual([]);
  });

  it('ends: nothing left, and the storm gauges are cleared', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.tracker.observe(false, T0 + MIN);
    expect([h.tracker.view(), h.tracker.status(), h.tracker.since()]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(h.groups).toEqual([[]]);
  });

  it('the next storm has its own name', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.publish();
    h.tracker.observe(false, T0 + MIN);
    h.publish();
    h.tracker.observe(true, T0 + 10 * MIN);
    expect(h.tracker.view()?.id).toBe(stormId(T0 + 10 * MIN));
    expect(h.tracker.since()).toBe(T0 + 10 * MIN);
  });

  // A storm that begins again before the leader published the end of the previous one (the end seen by a gate's
  // snapshot; the status is published every 10 s) must not adopt the ended storm from the policy's stale
  // status.storm (same id, old `since`, an SRE's release of the ended storm releasing this one). Adopting is for a
  // new leader (no storm observed yet in its term), not for a tracker that saw the storm end.
  it('a storm that begins again before the end was published is a new storm', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.publish();
    h.state.release = stormId(T0);
    h.tracker.observe(false, T0 + MIN); // not published yet: status.storm still names the ended storm
    h.tracker.observe(true, T0 + MIN + 5_000);
    expect(h.tracker.view()).toEqual({
      id: stormId(T0 + MIN + 5_000),
      released: false,
      otherRelease: stormId(T0),
    });
    expect(h.tracker.since()).toBe(T0 + MIN + 5_000);
  });
});

describe('StormTracker: a new leader adopts the storm the status names', () => {
  const previous = { id: 'storm-20261130t060000z', since: '2026-11-30T06:00:00.000Z' };

  it('adopts it when the guard still holds: same id, same since', () => {
    const h = harness({ storm: previous });
    h.tracker.observe(true, T0);
    expect(h.tracker.view()?.id).toBe(previous.id);
    expect(h.tracker.since()).toBe(Date.parse(previous.since));
    expect(h.tracker.status()).toMatchObject(previous);
  });

  it('a release of the adopted storm stands', () => {
    const h = harness({ storm: previous, release: previous.id });
    h.tracker.observe(true, T0);
    expect(h.tracker.view()?.released).toBe(true);
  });

  it('it ended while no one led: nothing to adopt', () => {
    const h = harness({ storm: previous });
    h.tracker.observe(false, T0);
    expect(h.tracker.view()).toBeUndefined();
  });

  it.each([
    ['an unreadable since', { id: 'storm-x', since: 'not a time' }],
    ['an empty since', { id: 'storm-x', since: '' }],
  ])('%s: a storm of its own', (_name, storm) => {
    const h = harness({ storm });
    h.tracker.observe(true, T0);
    expect(h.tracker.view()?.id).toBe(stormId(T0));
    expect(h.tracker.since()).toBe(T0);
  });

  it('no policy: a storm of its own', () => {
    const h = harness({ gone: true });
    h.tracker.observe(true, T0);
    expect(h.tracker.view()?.id).toBe(stormId(T0));
  });
});

describe('StormTracker: the release names exactly this storm', () => {
  it.each([
    ['this id', true, (id: string) => id],
    ['an earlier storm', false, () => 'storm-20261129t000000z'],
    ['this id in capitals', false, (id: string) => id.toUpperCase()],
    ['this id with a space', false, (id: string) => ` ${id}`],
    ['empty', false, () => ''],
    ['no annotation', false, () => undefined],
  ])('annotation %s: released=%s', (_name, released, value) => {
    const h = harness();
    h.tracker.observe(true, T0);
    const v = value(stormId(T0));
    if (v !== undefined) h.state.release = v;
    expect(h.tracker.view()?.released).toBe(released);
    expect(h.tracker.status()?.released).toBe(released ? true : undefined);
    expect(h.reasons()).toEqual(released ? ['StormReleased'] : []);
  });

  it('announces the release once per storm, on the policy, as a Warning', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.state.release = stormId(T0);
    for (let i = 0; i < 5; i++) h.tracker.view();
    expect(h.events).toEqual([
      {
        object: { apiVersion: API_VERSION, kind: 'RemediationPolicy', name: 'default', uid: 'policy-uid' },
        type: 'Warning',
        reason: 'StormReleased',
        message:
          'Storm storm-20261130t071500z released (chainmedic.io/release-storm): remediation proceeds at ' +
          'maxConcurrent while it lasts, despite the storm guard.',
      },
    ]);
  });

  it('not while another replica leads; once when this one may act', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.state.release = stormId(T0);
    h.setMayAct(false);
    expect(h.tracker.view()?.released).toBe(true);
    expect(h.events).toEqual([]);
    h.setMayAct(true);
    h.tracker.view();
    h.tracker.view();
    expect(h.reasons()).toEqual(['StormReleased']);
  });

  it('withdrawn: held again', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.state.release = stormId(T0);
    expect(h.tracker.view()?.released).toBe(true);
    delete h.state.release;
    expect(h.tracker.view()?.released).toBe(false);
    expect(h.tracker.status()?.released).toBeUndefined();
  });

  it('never carries over to the next storm', () => {
    const h = harness();
    h.tracker.observe(true, T0);
    h.state.release = stormId(T0);
    expect(h.tracker.view()?.released).toBe(true);
    h.tracker.observe(false, T0 + MIN);
    h.publish();
    h.tracker.observe(true, T0 + 30 * MIN);
    // The annotation still names the ended storm: the view says so (the gate's message tells the SRE).
    expect(h.tracker.view()).toEqual({
      id: stormId(T0 + 30 * MIN),
      released: false,
      otherRelease: stormId(T0),
    });
    expect(h.reasons()).toEqual(['StormReleased']);
    // Released in turn: announced again, for this storm.
    h.state.release = stormId(T0 + 30 * MIN);
    h.tracker.view();
    expect(h.reasons()).toEqual(['StormReleased', 'StormReleased']);
    expect(h.events[1]!.message).toContain(stormId(T0 + 30 * MIN));
  });
});

describe('StormTracker: explained', () => {
  it('nothing to explain without a storm', () => {
    const h = harness();
    const { affected, fleet } = facts();
    h.tracker.explain(affected, fleet);
    expect([h.events, h.groups, h.tracker.status()]).toEqual([[], [], undefined]);
  });

  it('one StormGuard Warning per storm, with the id, the release command and the headline', () => {
    const h = harness();
    const { affected, fleet } = facts();
    h.tracker.observe(true, T0);
    h.tracker.explain(affected, fleet);
    h.tracker.explain(affected, fleet);
    const headline = h.tracker.view()!.headline!;
    expect(headline).toMatch(/\S/);
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toMatchObject({
      object: { kind: 'RemediationPolicy', name: 'default', uid: 'policy-uid' },
      type: 'Warning',
      reason: 'StormGuard',
    });
    expect(h.events[0]!.message).toBe(
      `6 of 20 linux nodes are affected: the storm guard holds (storm storm-20261130t071500z). ${headline} To let ` +
        `remediation proceed at maxConcurrent until this storm ends: kubectl annotate remediationpolicy default ` +
        `chainmedic.io/release-storm=storm-20261130t071500z --overwrite`,
    );
    expect(h.groups.length).toBe(2);
  });

  it('the status carries the explanation (at most 10 groups), the view its headline', () => {
    const h = harness();
    const { affected, fleet } = facts();
    h.tracker.observe(true, T0);
    h.tracker.explain(affected, fleet);
    const status = h.tracker.status()!;
    expect(status.id).toBe(stormId(T0));
    expect(status.headline).toBe(h.tracker.view()!.headline);
    expect(['image', 'kubelet', 'unknown']).toContain(status.suspect);
    expect(status.groups!.length).toBeLessThanOrEqual(10);
    expect(status.groups).toContainEqual(
      expect.objectContaining({ attribute: 'npmImage', value: 'azure-npm:v1.6.26', affected: 6, fleet: 6 }),
    );
  });

  it('the release announcement carries the headline once explained', () => {
    const h = harness();
    const { affected, fleet } = facts();
    h.tracker.observe(true, T0);
    h.tracker.explain(affected, fleet);
    h.state.release = stormId(T0);
    h.tracker.view();
    expect(h.reasons()).toEqual(['StormGuard', 'StormReleased']);
    expect(h.events[1]!.message.endsWith(` ${h.tracker.view()!.headline!}`)).toBe(true);
  });

  it('not while another replica leads; once when this one may act', () => {
    const h = harness();
    const { affected, fleet } = facts();
    h.tracker.observe(true, T0);
    h.setMayAct(false);
    h.tracker.explain(affected, fleet);
    expect(h.events).toEqual([]);
    h.setMayAct(true);
    h.tracker.explain(affected, fleet);
    h.tracker.explain(affected, fleet);
    expect(h.reasons()).toEqual(['StormGuard']);
  });

  it('the next storm is announced again', () => {
    const h = harness();
    const { affected, fleet } = facts();
    h.tracker.observe(true, T0);
    h.tracker.explain(affected, fleet);
    h.tracker.observe(false, T0 + MIN);
    h.publish();
    h.tracker.observe(true, T0 + 20 * MIN);
    expect(h.tracker.view()?.headline).toBeUndefined();
    h.tracker.explain(affected, fleet);
    expect(h.reasons()).toEqual(['StormGuard', 'StormGuard']);
    expect(h.events[1]!.message).toContain(`(storm ${stormId(T0 + 20 * MIN)})`);
  });
});
