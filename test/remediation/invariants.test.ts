/**
 * The design's invariants as properties: decide() is run on thousands of random (seeded, reproducible)
 * observations, and every step it returns must respect them.
 */
import {
  NodeRemediationSpecSchema,
  NodeRemediationStatusSchema,
  PHASES,
  type NodeRemediationStatus,
} from '../../src/api/index.js';
import { resolveMaxUnhealthy } from '../../src/config/policy.js';
import { decide } from '../../src/remediation/decide.js';
import type { Observed, ObservedJob } from '../../src/remediation/types.js';
import { NOW, NR, finished, iso, node, observed, remediation } from './fixtures.js';
import { seededRandom } from '../../tools/sim/api/faults.js';

function randomObserved(rand: () => number): Observed {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const jobName = `${NR}-1`;
  const phase = pick([undefined, ...PHASES]);
  const status: NodeRemediationStatus | undefined = phase
    ? {
        phase,
        attempt: 1,
        jobName,
        attempts: [{ attempt: 1, jobName, startTime: iso(NOW - pick([1, 100, 4000]) * 1000) }],
        jobSeen: rand() < 0.5,
        dryRun: rand() < 0.2,
        cordonedByUs: rand() < 0.5,
        wasUnschedulable: rand() < 0.3,
        ...(rand() < 0.3 ? { podDeleted: 'pod-uid-1' } : {}),
        verifyStartTime: iso(NOW - pick([1, 400]) * 1000),
        ...(phase === 'Uncordoning' ? { finalPhase: pick(['Succeeded', 'Skipped', 'Failed'] as const) } : {}),
      }
    : undefined;
  const jobs: ObservedJob[] = pick([
    [],
    [{ name: jobName, state: 'running' as const }],
    [
      finished(
        pick(['Restarted', 'ChainsPresent', 'ChainsStillMissing', 'RestartFailed', 'ProbeError'] as const),
      ),
    ],
    [{ name: jobName, state: 'failed' as const, report: null }],
    [{ name: jobName, state: 'succeeded' as const, report: null, exitCode: pick([0, 1, 2]) }],
  ]);
  const n =
    rand() < 0.1
      ? null
      : node({
          os: pick(['linux', 'linux', 'linux', 'windows', undefined]),
          ready: rand() < 0.8,
          unschedulable: rand() < 0.5,
          optOut: pick([undefined, undefined, 'true', 'True', 'false']),
          cordonedBy: pick([undefined, NR, 'someone-else']),
        });
  const linuxNodes = pick([1, 5, 20, 100]);
  return observed(
    {
      node: n && n.cordonedBy && !n.unschedulable ? { ...n, unschedulable: true } : n,
      remediations: rand() < 0.15 ? [] : [remediation(status)],
      jobs,
      detection:
        rand() < 0.5
          ? { kind: 'none' }
          : {
              kind: 'confirmed',
              podUid: 'pod-uid-1',
              podName: 'azure-npm-x',
              namespace: 'kube-system',
              container: 'azure-npm',
              restartCount: 4,
              signature: 'sig',
              observedAt: iso(NOW),
            },
      targetPod: pick([
        null,
        { uid: 'pod-uid-1', name: 'a', ready: false },
        { uid: 'pod-uid-2', name: 'b', ready: true },
      ]),
      fleet: {
        activeRemediations: pick([0, 0, 1, 2, 5]),
        affectedNodes: pick([0, 1, 2, 3, 30]),
        linuxNodes,
      },
    },
    {
      paused: rand() < 0.2,
      dryRun: rand() < 0.1,
      maxConcurrent: pick([1, 2]),
      onFailure: pick(['KeepCordoned', 'Uncordon'] as const),
      cooldown: '1s',
    },
  );
}

const CASES = 4000;

describe('invariants over random observations', () => {
  const samples = Array.from({ length: CASES }, (_, i) => randomObserved(seededRandom(i + 1)));
  const steps = samples.map((o) => decide(o));
  // Uncordoning only releases: it may always run.
  const slotPhases = ['Cordoning', 'Remediating', 'Verifying'];

  function violations(check: (o: Observed, step: ReturnType<typeof decide>) => string | null): string[] {
    const found: string[] = [];
    samples.forEach((o, i) => {
      const problem = check(o, steps[i]!);
      if (problem && found.length < 5) found.push(`seed ${i + 1}: ${problem}`);
    });
    return found;
  }

  it('covers every phase and every effect type', () => {
    const effects = new Set(steps.map((s) => s.effect.type));
    expect([...effects].sort()).toEqual([
      'cordon',
      'createJob',
      'createRemediation',
      'deletePod',
      'none',
      'uncordon',
    ]);
  });

  it('every status and spec it writes is valid against the API schema', () => {
    expect(
      violations((_o, s) => {
        if (s.status) {
          const r = NodeRemediationStatusSchema.safeParse(s.status.status);
          if (!r.success)
            return `status: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`;
        }
        if (s.effect.type === 'createRemediation') {
          const r = NodeRemediationSpecSchema.safeParse(s.effect.spec);
          if (!r.success) return `spec: ${r.error.issues[0]?.message}`;
        }
        return null;
      }),
    ).toEqual([]);
  });

  it('never uncordons a node whose marker does not name the remediation asking', () => {
    expect(
      violations((o, s) =>
        s.effect.type === 'uncordon' && o.node?.cordonedBy !== s.effect.expectMarker
          ? 'uncordon without our marker'
          : null,
      ),
    ).toEqual([]);
  });

  it('never cordons or runs a Job on a windows, opted-out, missing node, or while paused', () => {
    expect(
      violations((o, s) => {
        if (s.effect.type !== 'cordon' && s.effect.type !== 'createJob') return null;
        if (!o.node) return `${s.effect.type} on a missing node`;
        if (o.node.os !== 'linux') return `${s.effect.type} on ${o.node.os}`;
        if (o.node.optOut === 'true') return `${s.effect.type} on an opted-out node`;
        if (o.policy.paused) return `${s.effect.type} while paused`;
        return null;
      }),
    ).toEqual([]);
  });

  it('never cordons a node someone else made unschedulable', () => {
    expect(
      violations((o, s) =>
        s.effect.type === 'cordon' && o.node?.unschedulable && o.node.cordonedBy !== s.effect.marker
          ? 'took over a cordon'
          : null,
      ),
    ).toEqual([]);
  });

  it('never creates a Job that was seen or already exists (one kubelet restart per attempt at most)', () => {
    expect(
      violations((o, s) => {
        if (s.effect.type !== 'createJob') return null;
        const name = s.effect.job.metadata.name;
        if (o.jobs.some((j) => j.name === name)) return `re-created ${name}`;
        if (o.remediations[0]?.status?.jobSeen && o.remediations[0].status.jobName === name)
          return `re-created seen ${name}`;
        return null;
      }),
    ).toEqual([]);
  });

  it('never runs the kubelet-restarting Job on a schedulable node', () => {
    expect(
      violations((o, s) => {
        if (
          s.effect.type !== 'createJob' ||
          s.effect.job.spec.template.spec.containers[0]?.args[1] !== 'remediate'
        )
          return null;
        return o.node?.unschedulable ? null : 'remediate Job on a schedulable node';
      }),
    ).toEqual([]);
  });

  it('never takes a slot beyond maxConcurrent, during a storm, while paused or on a NotReady node', () => {
    expect(
      violations((o, s) => {
        const before = o.remediations[0]?.status?.phase ?? 'Pending';
        const after = s.status?.status.phase;
        if (!(before === 'Pending' || before === 'Waiting') || !after || !slotPhases.includes(after))
          return null;
        if (o.fleet.activeRemediations >= o.policy.maxConcurrent) return 'over maxConcurrent';
        if (o.fleet.affectedNodes > resolveMaxUnhealthy(o.policy.maxUnhealthy, o.fleet.linuxNodes))
          return 'storm';
        if (o.policy.paused) return 'paused';
        if (!o.node?.ready) return 'not ready';
        return null;
      }),
    ).toEqual([]);
  });

  it('deletes only the recorded crash-looping pod incarnation', () => {
    expect(
      violations((o, s) => {
        if (s.effect.type !== 'deletePod') return null;
        const recorded = s.status?.status.podDeleted ?? o.remediations[0]?.status?.podDeleted;
        return recorded === s.effect.uid ? null : `deleted ${s.effect.uid}, recorded ${recorded}`;
      }),
    ).toEqual([]);
  });

  it('a terminal remediation gets no effect but the release of a cordon it does not keep', () => {
    expect(
      violations((o, s) => {
        const phase = o.remediations[0]?.status?.phase;
        if (!phase || !['Succeeded', 'Skipped', 'Failed'].includes(phase)) return null;
        if (s.status && s.status.name === NR) return 'rewrote a terminal status';
        if (s.effect.type === 'uncordon' && phase === 'Failed' && s.effect.expectMarker === NR)
          return 'released a kept cordon';
        return ['none', 'uncordon', 'createRemediation'].includes(s.effect.type) ? null : s.effect.type;
      }),
    ).toEqual([]);
  });
});
