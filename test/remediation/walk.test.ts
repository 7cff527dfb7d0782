/**
 * Drives decide() through whole remediations against a tiny in-memory world whose effects behave like the
 * real executor's (idempotent create, marker-guarded uncordon), optionally "crashing" after a status write
 * (the effect is lost), and checks the end state: terminal phase, kubelet restarted at most once per attempt,
 * no node left cordoned by us, a node cordoned before us left cordoned.
 */
import type { NodeRemediationStatus } from '../../src/api/index.js';
import { decide } from '../../src/remediation/decide.js';
import type { Observed, ObservedJob, ObservedRemediation, Step } from '../../src/remediation/types.js';
import { NOW, node, observed, remediation } from './fixtures.js';

type AgentBehaviour = 'fixes' | 'chains-present' | 'fails-then-fixes';

interface World {
  now: number;
  node: ReturnType<typeof node>;
  nr: ObservedRemediation;
  jobs: Map<string, ObservedJob>;
  jobsCreated: string[];
  kubeletRestarts: number;
  chainsPresent: boolean;
  pod: { uid: string; name: string; ready: boolean };
  podDeletes: number;
  behaviour: AgentBehaviour;
}

function newWorld(behaviour: AgentBehaviour, preCordoned = false): World {
  return {
    now: NOW,
    node: node({ unschedulable: preCordoned }),
    nr: remediation(),
    jobs: new Map(),
    jobsCreated: [],
    kubeletRestarts: 0,
    chainsPresent: behaviour === 'chains-present',
    pod: { uid: 'pod-uid-1', name: 'azure-npm-x', ready: false },
    podDeletes: 0,
    behaviour,
  };
}

function observe(w: World, policy: Record<string, unknown>): Observed {
  return observed(
    {
      now: w.now,
      node: { ...w.node },
      remediations: [w.nr],
      jobs: [...w.jobs.values()],
      targetPod: { ...w.pod },
    },
    policy,
  );
}

function apply(w: World, step: Step, crash: boolean): void {
  if (step.status) w.nr = { ...w.nr, status: step.status.status as NodeRemediationStatus };
  if (crash) return;
  const e = step.effect;
  switch (e.type) {
    case 'cordon':
      expect(w.node.unschedulable && w.node.cordonedBy !== e.marker).toBe(false);
      w.node = { ...w.node, unschedulable: true, cordonedBy: e.marker };
      break;
    case 'uncordon':
      if (w.node.cordonedBy === e.expectMarker)
        w.node = { ...w.node, unschedulable: false, cordonedBy: undefined };
      break;
    case 'createJob':
      if (!w.jobs.has(e.job.metadata.name)) {
        w.jobs.set(e.job.metadata.name, { name: e.job.metadata.name, state: 'running' });
        w.jobsCreated.push(e.job.metadata.name);
      }
      break;
    case 'deletePod':
      if (w.pod.uid === e.uid) {
        w.podDeletes++;
        w.pod = { uid: `${e.uid}-next`, name: `${e.name}-next`, ready: false };
      }
      break;
    default:
      break;
  }
}

/** The cluster moves on: Jobs finish (running the "agent"), a replaced pod becomes ready when chains exist. */
function tick(w: World): void {
  for (const [name, job] of w.jobs) {
    if (job.state !== 'running') continue;
    if (w.behaviour === 'fails-then-fixes' && w.jobsCreated.length === 1) {
      w.jobs.set(name, { name, state: 'failed', report: null, reportError: 'DeadlineExceeded' });
      continue;
    }
    const before = w.chainsPresent;
    if (!before) {
      w.kubeletRestarts++;
      w.chainsPresent = true;
    }
    w.jobs.set(name, {
      name,
      state: 'succeeded',
      report: {
        kind: 'remediate',
        outcome: before ? 'ChainsPresent' : 'Restarted',
        before: { verdict: before ? 'present' : 'missing' },
        after: { verdict: 'present', backend: 'nft' },
        kubeletRestarted: !before,
      },
    });
  }
  if (w.chainsPresent && w.pod.uid !== 'pod-uid-1') w.pod = { ...w.pod, ready: true };
  w.now += 61_000;
}

function run(w: World, policy: Record<string, unknown>, crashAt = -1): World {
  for (let i = 0; i < 200; i++) {
    const phase = w.nr.status?.phase;
    if (phase === 'Succeeded' || phase === 'Skipped' || phase === 'Failed') return w;
    apply(w, decide(observe(w, policy)), i === crashAt);
    tick(w);
  }
  throw new Error(`no terminal phase: ${JSON.stringify(w.nr.status)}`);
}

const fast = { cooldown: '1m' };

describe('walk: whole remediations', () => {
  it('fixes a broken node: cordon, one restart, pod deleted once, uncordon, Succeeded', () => {
    const w = run(newWorld('fixes'), fast);
    expect(w.nr.status).toMatchObject({ phase: 'Succeeded', reason: 'Remediated', cordonedByUs: true });
    expect([w.kubeletRestarts, w.podDeletes, w.jobsCreated.length]).toEqual([1, 1, 1]);
    expect(w.node).toMatchObject({ unschedulable: false, cordonedBy: undefined });
  });

  it('leaves a node cordoned before it came cordoned', () => {
    const w = run(newWorld('fixes', true), fast);
    expect(w.nr.status).toMatchObject({ phase: 'Succeeded', wasUnschedulable: true, cordonedByUs: false });
    expect(w.node).toMatchObject({ unschedulable: true, cordonedBy: undefined });
  });

  it('never restarts kubelet where the chains exist (azure-npm image bug): Skipped, uncordoned', () => {
    const w = run(newWorld('chains-present'), fast);
    expect(w.nr.status).toMatchObject({ phase: 'Skipped', reason: 'ChainsPresent' });
    expect(w.kubeletRestarts).toBe(0);
    expect(w.node.cordonedBy).toBeUndefined();
  });

  it('retries a Job that failed without a result in a new attempt, keeping the node cordoned meanwhile', () => {
    const w = run(newWorld('fails-then-fixes'), fast);
    expect(w.nr.status).toMatchObject({ phase: 'Succeeded', attempt: 2 });
    expect(w.jobsCreated).toHaveLength(2);
    expect(new Set(w.jobsCreated).size).toBe(2);
  });

  it('dry run: no cordon, no restart', () => {
    const w = newWorld('fixes');
    w.nr = remediation(undefined, { spec: { ...w.nr.spec, dryRun: true } });
    // the probe Job: exits 1 (missing), no termination message
    const probeTick = (world: World) => {
      for (const [name, job] of world.jobs) {
        if (job.state === 'running')
          world.jobs.set(name, { name, state: 'failed', report: null, exitCode: 1 });
      }
      world.now += 1000;
    };
    for (let i = 0; i < 20 && w.nr.status?.phase !== 'Skipped'; i++) {
      apply(w, decide(observe(w, fast)), false);
      expect(w.node.unschedulable).toBe(false);
      probeTick(w);
    }
    expect(w.nr.status).toMatchObject({
      phase: 'Skipped',
      reason: 'DryRun',
      agent: { before: { verdict: 'missing' } },
    });
    expect(w.kubeletRestarts).toBe(0);
  });

  describe.each(['fixes', 'chains-present'] as const)(
    'an operator crash after any status write (%s)',
    (behaviour) => {
      it.each(Array.from({ length: 12 }, (_, i) => i))(
        'crash at step %i: same end, no extra restart, no cordon left',
        (k) => {
          const w = run(newWorld(behaviour), fast, k);
          expect(w.nr.status?.phase).toBe(behaviour === 'fixes' ? 'Succeeded' : 'Skipped');
          expect(w.kubeletRestarts).toBe(behaviour === 'fixes' ? 1 : 0);
          expect(w.jobsCreated).toHaveLength(1);
          expect(w.podDeletes).toBeLessThanOrEqual(1);
          expect(w.node).toMatchObject({ unschedulable: false, cordonedBy: undefined });
        },
      );
    },
  );
});
