import { remediationName, type NodeRemediationStatus, type ProbeReason } from '../../src/api/index.js';
import { decide } from '../../src/remediation/decide.js';
import type {
  Effect,
  Observed,
  ObservedJob,
  ObservedNode,
  ObservedRemediation,
  Step,
  StormView,
} from '../../src/remediation/types.js';
import {
  NOW,
  NR,
  auditRemediation,
  chains,
  finished,
  inPhase,
  iso,
  node,
  observed,
  remediation,
} from './fixtures.js';

const phase = (s: Step) => s.status?.status.phase;
const reason = (s: Step) => s.status?.status.reason;
const message = (s: Step) => s.status?.status.message ?? '';

const latent = (reason: ProbeReason = 'Rolling') => ({
  kind: 'latent' as const,
  probeJob: 'chainmedic-probe-node-a-abc',
  probeUid: 'probe-uid-1',
  reason,
  observedAt: iso(NOW - 5_000),
});
const LATENT_NAME = remediationName('node-a', 'probe-uid-1');
const OPERATION = { reason: 'ClusterAutoscalerScaleDown', message: 'the cluster autoscaler is removing it' };

describe('decide: a latent node (no active remediation)', () => {
  it('opens an Audit remediation named after the probe, with a LatentNodeFound Warning on the node', () => {
    const step = decide(observed({ detection: latent('Rebooted') }));
    expect(step.effect).toEqual({
      type: 'createRemediation',
      name: LATENT_NAME,
      spec: {
        nodeName: 'node-a',
        trigger: {
          source: 'Audit',
          probeJob: 'chainmedic-probe-node-a-abc',
          probeReason: 'Rebooted',
          observedAt: iso(NOW - 5_000),
        },
      },
    });
    expect(step.status).toBeUndefined();
    expect(step.events).toEqual([
      {
        on: 'node',
        type: 'Warning',
        reason: 'LatentNodeFound',
        message: expect.stringContaining(
          `Probe Job chainmedic-probe-node-a-abc (after the node rebooted) found kubelet's iptables chains missing`,
        ) as string,
      },
    ]);
    expect(step.events[0]!.message).toContain(`Created NodeRemediation ${LATENT_NAME}.`);
  });

  it.each([
    ['KubeletStarted', 'after kubelet started'],
    ['Rebooted', 'after the node rebooted'],
    ['Rolling', 'the rolling audit'],
    ['Storm', 'explaining a storm'],
  ] as const)('says why the node was probed: %s', (why, text) => {
    expect(decide(observed({ detection: latent(why) })).events[0]!.message).toContain(`(${text})`);
  });

  it('the same probe on another node is another remediation', () => {
    const other = decide(
      observed({ nodeName: 'node-b', node: node({ name: 'node-b' }), detection: latent() }),
    );
    expect(other.effect).toMatchObject({ name: remediationName('node-b', 'probe-uid-1') });
    expect(remediationName('node-b', 'probe-uid-1')).not.toBe(LATENT_NAME);
  });

  it.each(['Succeeded', 'Skipped', 'Failed'] as const)(
    'never re-created once it exists (it ended %s)',
    (ended) => {
      const done = auditRemediation(inPhase(ended), { name: LATENT_NAME });
      const step = decide(observed({ detection: latent(), remediations: [done] }));
      expect(step).toEqual({ effect: { type: 'none' }, events: [] });
    },
  );

  it('an episode of another name (an older crash loop) does not stop it', () => {
    const older = remediation(inPhase('Succeeded'), { name: 'older' });
    expect(decide(observed({ detection: latent(), remediations: [older] })).effect).toMatchObject({
      type: 'createRemediation',
      name: LATENT_NAME,
    });
  });

  it('an active remediation on the node goes on instead: no second one', () => {
    const waiting = remediation({ phase: 'Waiting', reason: 'Cooldown' });
    const step = decide(observed({ detection: latent(), remediations: [waiting] }));
    expect(step.effect.type).not.toBe('createRemediation');
    expect(step.status?.name).toBe(NR);
  });
});

describe('decide: the gate of an Audit remediation', () => {
  const observedAt = NOW - 120_000;
  it('azure-npm Ready is no recovery: it still runs on a latent node', () => {
    const step = decide(
      observed({
        remediations: [auditRemediation({ phase: 'Pending' })],
        targetPod: { uid: 'p', name: 'azure-npm-x', ready: true },
      }),
    );
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Cordoning', 'AttemptStarted', 'cordon']);
  });

  it.each([
    ['present, probed after the finding', chains('False', observedAt + 1_000), 'Skipped', 'Recovered'],
    ['present, probed in the same second', chains('False', observedAt), 'Cordoning', 'AttemptStarted'],
    [
      'present, probed before the finding',
      chains('False', observedAt - 60_000),
      'Cordoning',
      'AttemptStarted',
    ],
    ['still missing, probed after', chains('True', observedAt + 60_000), 'Cordoning', 'AttemptStarted'],
    ['unknown, probed after', chains('Unknown', observedAt + 60_000), 'Cordoning', 'AttemptStarted'],
    ['no condition', undefined, 'Cordoning', 'AttemptStarted'],
  ])('chains %s: %s/%s', (_name, condition, expPhase, expReason) => {
    const o = observed({
      node: node(condition ? { chains: condition } : {}),
      remediations: [auditRemediation({ phase: 'Waiting', reason: 'NoSlot' })],
    });
    const step = decide(o);
    expect([phase(step), reason(step)]).toEqual([expPhase, expReason]);
    if (expReason === 'Recovered') {
      expect(message(step)).toContain(
        'A later look at node-a found the chains present (chains ChainsPresent)',
      );
      expect(step.effect.type).toBe('none');
    }
  });

  it('a later look that found the chains present ends it even while paused', () => {
    const step = decide(
      observed(
        {
          node: node({ chains: chains('False', observedAt + 60_000) }),
          remediations: [auditRemediation({ phase: 'Waiting', reason: 'Paused' })],
        },
        { paused: true },
      ),
    );
    expect([phase(step), reason(step)]).toEqual(['Skipped', 'Recovered']);
  });

  it('only an Audit remediation: a crash loop is not over because the chains are present', () => {
    const step = decide(
      observed({
        node: node({ chains: chains('False', NOW - 1_000) }),
        remediations: [remediation({ phase: 'Waiting', reason: 'NoSlot' })],
      }),
    );
    expect([phase(step), reason(step)]).toEqual(['Cordoning', 'AttemptStarted']);
  });

  it('an Audit remediation without observedAt is not skipped', () => {
    const nr = auditRemediation({ phase: 'Pending' });
    delete nr.spec.trigger.observedAt;
    const step = decide(observed({ node: node({ chains: chains('False', NOW) }), remediations: [nr] }));
    expect(reason(step)).toBe('AttemptStarted');
  });
});

describe('decide: the cluster operates on the node', () => {
  const operated = node({ operation: OPERATION });
  describe.each([
    ['a crash loop', () => remediation],
    ['an audit', () => auditRemediation],
  ])('%s', (_name, make) => {
    it.each([
      ['Pending', { phase: 'Pending' as const }],
      ['Waiting', { phase: 'Waiting' as const, reason: 'NoSlot' }],
      ['new', undefined],
    ])('at the gate (%s): Waiting with the operation as reason', (_from, st) => {
      const step = decide(observed({ node: operated, remediations: [make()(st)] }));
      expect([phase(step), reason(step), step.effect.type]).toEqual([
        'Waiting',
        'ClusterAutoscalerScaleDown',
        'none',
      ]);
      expect(message(step)).toBe(
        'Node node-a: the cluster autoscaler is removing it. No remediation starts while the cluster operates on the node.',
      );
      expect(step.requeueAfterMs).toBeGreaterThan(0);
    });
  });

  it('before the storm guard, the attempts, the cooldown and the slots', () => {
    const step = decide(
      observed({
        node: operated,
        remediations: [auditRemediation({ phase: 'Pending' })],
        fleet: { activeRemediations: 5, affectedNodes: 15, linuxNodes: 20 },
      }),
    );
    expect(reason(step)).toBe('ClusterAutoscalerScaleDown');
  });

  it('after pause and readiness', () => {
    const nr = auditRemediation({ phase: 'Pending' });
    expect(reason(decide(observed({ node: operated, remediations: [nr] }, { paused: true })))).toBe('Paused');
    const notReady = node({ operation: OPERATION, ready: false });
    expect(reason(decide(observed({ node: notReady, remediations: [nr] })))).toBe('NodeNotReady');
  });

  it('lifted: the gate opens', () => {
    const nr = auditRemediation({ phase: 'Waiting', reason: 'ClusterAutoscalerScaleDown' });
    expect(reason(decide(observed({ remediations: [nr] })))).toBe('AttemptStarted');
  });

  // Only the gate: once past it, stopping half-way (cordoned, kubelet restarting) is worse than finishing.
  it.each([
    ['Cordoning, not yet cordoned', inPhase('Cordoning'), node({ operation: OPERATION }), [], 'cordon'],
    [
      'Cordoning, cordoned',
      inPhase('Cordoning'),
      node({ operation: OPERATION, unschedulable: true, cordonedBy: NR }),
      [],
      'createJob',
    ],
    [
      'Remediating, Job done',
      inPhase('Remediating', { jobSeen: true, cordonedByUs: true }),
      node({ operation: OPERATION, unschedulable: true, cordonedBy: NR }),
      [finished('Restarted')],
      'none',
    ],
  ])('a remediation already %s continues', (_name, st, n, jobs, effect) => {
    const step = decide(observed({ node: n, remediations: [auditRemediation(st)], jobs }));
    expect(step.effect.type).toBe(effect);
    expect(phase(step) ?? 'unchanged').not.toBe('Waiting');
    expect(reason(step)).not.toBe('ClusterAutoscalerScaleDown');
  });

  it('a remediation Verifying continues to success', () => {
    const st = inPhase('Verifying', { cordonedByUs: true, verifyStartTime: iso(NOW - 10_000) });
    const step = decide(
      observed({
        node: node({ operation: OPERATION, unschedulable: true, cordonedBy: NR }),
        remediations: [auditRemediation(st)],
        targetPod: { uid: 'p', name: 'azure-npm-x', ready: true },
      }),
    );
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Uncordoning', 'Remediated', 'uncordon']);
  });
});

describe('decide: the storm guard, named and releasable', () => {
  const storm = (o: Partial<StormView> = {}): StormView => ({
    id: 'storm-20261124t195500z',
    released: false,
    ...o,
  });
  const inStorm = (view: StormView | undefined, active = 0) => ({
    fleet: { activeRemediations: active, affectedNodes: 5, linuxNodes: 20, ...(view ? { storm: view } : {}) },
  });
  const pending = () => auditRemediation({ phase: 'Pending' });

  it('holds, naming the storm, the command that releases it and the headline', () => {
    const view = storm({ headline: 'Most affected nodes run azure-npm v1.6.26.' });
    const step = decide(observed({ ...inStorm(view), remediations: [pending()] }));
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Waiting', 'StormGuard', 'none']);
    expect(message(step)).toBe(
      '5 of 20 linux nodes are affected, more than maxUnhealthy (2): a shared cause is not fixed by restarting ' +
        "kubelets everywhere. Most affected nodes run azure-npm v1.6.26. Investigate the fleet (the policy's " +
        'status.storm). To let remediation proceed at maxConcurrent until this storm ends: kubectl annotate ' +
        'remediationpolicy default chainmedic.io/release-storm=storm-20261124t195500z --overwrite.',
    );
    expect(step.events).toEqual([
      { on: 'remediation', type: 'Warning', reason: 'StormGuard', message: message(step) },
    ]);
  });

  it('a storm not named yet says to raise maxUnhealthy', () => {
    const step = decide(observed({ ...inStorm(undefined), remediations: [pending()] }));
    expect(reason(step)).toBe('StormGuard');
    expect(message(step)).toContain('Raise maxUnhealthy to proceed.');
    expect(message(step)).not.toContain('kubectl annotate');
  });

  it('does not rewrite the same wait', () => {
    const first = decide(observed({ ...inStorm(storm()), remediations: [pending()] }));
    const again = decide(
      observed({ ...inStorm(storm()), remediations: [auditRemediation(first.status!.status)] }),
    );
    expect(again.status).toBeUndefined();
    expect(again.events).toEqual([]);
  });

  it('a new headline is written, without a second Event', () => {
    const first = decide(observed({ ...inStorm(storm()), remediations: [pending()] }));
    const again = decide(
      observed({
        ...inStorm(storm({ headline: 'Explained now.' })),
        remediations: [auditRemediation(first.status!.status)],
      }),
    );
    expect(message(again)).toContain('Explained now.');
    expect(again.events).toEqual([]);
  });

  it.each([
    ['released: proceeds', storm({ released: true }), 0, {}, 'Cordoning', 'AttemptStarted'],
    [
      'released, no slot: still bounded by maxConcurrent',
      storm({ released: true }),
      1,
      {},
      'Waiting',
      'NoSlot',
    ],
    [
      'released, a slot of 3',
      storm({ released: true }),
      2,
      { maxConcurrent: 3 },
      'Cordoning',
      'AttemptStarted',
    ],
    ['released, no slot of 3', storm({ released: true }), 3, { maxConcurrent: 3 }, 'Waiting', 'NoSlot'],
    // The annotation names an earlier storm: the tracker's view of THIS storm is not released.
    [
      'another storm was released, not this one',
      storm({ id: 'storm-20261124t200000z' }),
      0,
      {},
      'Waiting',
      'StormGuard',
    ],
  ])('%s', (_name, view, active, policy, expPhase, expReason) => {
    const step = decide(observed({ ...inStorm(view, active), remediations: [pending()] }, policy));
    expect([phase(step), reason(step)]).toEqual([expPhase, expReason]);
    if (expReason === 'StormGuard') {
      expect(message(step)).toContain(`chainmedic.io/release-storm=${view.id} --overwrite`);
      expect(message(step)).not.toContain('storm-20261124t195500z');
    }
  });

  it('a crash-loop remediation is held the same way', () => {
    const step = decide(observed({ ...inStorm(storm()), remediations: [remediation({ phase: 'Pending' })] }));
    expect(reason(step)).toBe('StormGuard');
    const released = decide(
      observed({ ...inStorm(storm({ released: true })), remediations: [remediation({ phase: 'Pending' })] }),
    );
    expect(reason(released)).toBe('AttemptStarted');
  });
});

describe('decide: Verifying an Audit remediation', () => {
  const cordoned = node({ unschedulable: true, cordonedBy: NR });
  const verifying = (make: typeof remediation) =>
    make(inPhase('Verifying', { cordonedByUs: true, verifyStartTime: iso(NOW - 10_000) }));

  it('deletes the azure-npm pod only if it crash-loops by now (it restarted during the remediation)', () => {
    const step = decide(
      observed({
        node: cordoned,
        remediations: [verifying(auditRemediation)],
        targetPod: { uid: 'pod-uid-2', name: 'azure-npm-y', ready: false, crashLooping: true },
      }),
    );
    expect(step.effect).toEqual({
      type: 'deletePod',
      namespace: 'kube-system',
      name: 'azure-npm-y',
      uid: 'pod-uid-2',
    });
    expect(step.status?.status.podDeleted).toBe('pod-uid-2');
  });

  it('never deletes an azure-npm pod that is not crash-looping (it runs; starting, it is left to start)', () => {
    const step = decide(
      observed({
        node: cordoned,
        remediations: [verifying(auditRemediation)],
        targetPod: { uid: 'pod-uid-1', name: 'azure-npm-x', ready: false },
      }),
    );
    expect(step.effect.type).toBe('none');
    expect(step.status?.status.podDeleted).toBeUndefined();
    expect([phase(step), reason(step), message(step)]).toEqual([
      'Verifying',
      'Verifying',
      'Waiting: azure-npm pod azure-npm-x is not Ready.',
    ]);
    // The control: the same remediation of a crash loop deletes the pod.
    const crash = decide(observed({ node: cordoned, remediations: [verifying(remediation)] }));
    expect(crash.effect.type).toBe('deletePod');
  });

  it('succeeds once azure-npm is Ready, releasing the cordon', () => {
    const step = decide(
      observed({
        node: cordoned,
        remediations: [verifying(auditRemediation)],
        targetPod: { uid: 'pod-uid-1', name: 'azure-npm-x', ready: true },
      }),
    );
    expect([phase(step), reason(step), step.effect.type]).toEqual(['Uncordoning', 'Remediated', 'uncordon']);
  });
});

describe('decide: an Audit remediation from the probe to the end', () => {
  /** Applies each step to a small world (status, cordon, Job) until the remediation ends. */
  function walk(start: Partial<Observed>): { phases: string[]; effects: Effect['type'][] } {
    let nr: ObservedRemediation | undefined;
    let n: ObservedNode = node();
    const jobs: ObservedJob[] = [];
    const phases: string[] = [];
    const effects: Effect['type'][] = [];
    for (let i = 0; i < 30; i++) {
      const step = decide(
        observed({
          ...start,
          node: n,
          remediations: nr ? [nr] : [],
          jobs,
          detection: nr ? { kind: 'none' } : latent(),
          targetPod: { uid: 'pod-uid-1', name: 'azure-npm-x', ready: true },
          now: NOW + i * 1_000,
        }),
      );
      const e = step.effect;
      effects.push(e.type);
      if (e.type === 'createRemediation') nr = { name: e.name, uid: 'nr-uid', spec: e.spec };
      if (step.status && nr) {
        nr = { ...nr, status: step.status.status as NodeRemediationStatus };
        phases.push(step.status.status.phase!);
      }
      if (e.type === 'cordon') n = { ...n, unschedulable: true, cordonedBy: e.marker };
      if (e.type === 'uncordon') n = { ...n, unschedulable: false, cordonedBy: undefined };
      if (e.type === 'createJob') jobs.push(finished('Restarted', e.job.metadata.name));
      const p = nr?.status?.phase;
      if (p === 'Succeeded' || p === 'Failed' || p === 'Skipped') break;
    }
    return { phases: phases.filter((p, i) => p !== phases[i - 1]), effects };
  }

  it('cordons, restarts kubelet, verifies and uncordons, never deleting a pod', () => {
    const { phases, effects } = walk({});
    expect(phases).toEqual(['Cordoning', 'Remediating', 'Verifying', 'Uncordoning', 'Succeeded']);
    expect(effects[0]).toBe('createRemediation');
    expect(effects).not.toContain('deletePod');
    expect(effects.filter((e) => e === 'createJob')).toHaveLength(1);
  });
});
