import { API_VERSION, NODE_REMEDIATION_KIND } from '../../src/api/index.js';
import { REQUEUE } from '../../src/remediation/index.js';
import { PODS, type KubeObject } from '../../tools/sim/api/types.js';
import { eventually } from '../kit/eventually.js';
import { FAST_POLICY, phaseOf, startEnv, type Env } from '../kit/env.js';

const REMS = { group: 'chainmedic.io', resource: 'noderemediations' };
const SLOT_PHASES = ['Cordoning', 'Remediating', 'Verifying', 'Uncordoning'];
const TERMINAL = ['Succeeded', 'Skipped', 'Failed'];

/** A gate that found no slot would only be re-checked after an hour: only a freed slot can wake it. */
const noTimerForNoSlot = (ms: number) => (ms === REQUEUE.noSlot ? 3_600_000 : ms);
/** The same for the storm guard: only the guard lifting can wake the gate. */
const noTimerForStormGuard = (ms: number) => (ms === REQUEUE.stormGuard ? 3_600_000 : ms);

describe('operator: a queued remediation takes a freed slot at once', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('maxConcurrent 1: the second node starts because the first finished, not because a timer fired', async () => {
    env = await startEnv({ linuxNodes: 3, broken: 1, policy: { ...FAST_POLICY, maxConcurrent: 1 } });
    const [sick] = env.cluster.brokenNodes().map((b) => b.node);
    // A healthy node: no pod or node churn re-queues it, so only the operator can wake its gate.
    const healthy = env.cluster.linuxNodeNames().find((n) => n !== sick)!;
    // The order in which the API server saw the phases.
    const log: { name: string; phase: string; reason: string }[] = [];
    const stop = env.cluster.store.subscribe(REMS, (e) => {
      const status = (e.object.status ?? {}) as { phase?: string; reason?: string };
      log.push({ name: e.object.metadata.name, phase: status.phase ?? '', reason: status.reason ?? '' });
    });
    await env.start({ adjustRequeueMs: noTimerForNoSlot });
    await eventually(
      () => SLOT_PHASES.includes(phaseOf(env!.remediationsOn(sick!)[0]) ?? ''),
      'the crash-looping node holds the only slot',
    );
    env.cluster.store.create(REMS, {
      apiVersion: API_VERSION,
      kind: NODE_REMEDIATION_KIND,
      metadata: { name: 'queued-check' },
      spec: { nodeName: healthy, trigger: { source: 'Manual' } },
    } as unknown as KubeObject);
    await eventually(
      () => TERMINAL.includes(phaseOf(env!.remediationsOn(healthy)[0]) ?? ''),
      'the queued remediation finished although its NoSlot wait is requeued after an hour',
      60_000,
    );
    stop();
    const queued = 'queued-check';
    expect(log.some((e) => e.name === queued && e.reason === 'NoSlot')).toBe(true);
    const first = env.remediationsOn(sick!)[0]!.metadata.name;
    const firstDone = log.findIndex((e) => e.name === first && TERMINAL.includes(e.phase));
    const queuedStarts = log.findIndex((e) => e.name === queued && SLOT_PHASES.includes(e.phase));
    const lastNoSlot = log.findLastIndex((e) => e.name === queued && e.reason === 'NoSlot');
    expect(firstDone).toBeGreaterThanOrEqual(0);
    expect(lastNoSlot).toBeLessThan(queuedStarts);
    expect(firstDone).toBeLessThan(queuedStarts);
  });

  it('a remediation held by the storm guard starts once the fleet recovers, not on its timer', async () => {
    env = await startEnv({ linuxNodes: 4, policy: { ...FAST_POLICY, maxUnhealthy: 1 } });
    const [other, healthy] = env.cluster.linuxNodeNames();
    // Crash-looping for another reason (not remediated): it counts as affected until its image is fixed.
    env.cluster.breakNode(other!, 'npm-image-bug');
    // The storm guard counts what the operator has seen: its caches list the crash loop when they sync.
    await eventually(() => crashLooping(env!, other!), 'azure-npm crash-looping on the other node');
    const log: { name: string; phase: string; reason: string }[] = [];
    const stop = env.cluster.store.subscribe(REMS, (e) => {
      const status = (e.object.status ?? {}) as { phase?: string; reason?: string };
      log.push({ name: e.object.metadata.name, phase: status.phase ?? '', reason: status.reason ?? '' });
    });
    await env.start({ adjustRequeueMs: noTimerForStormGuard });
    // A request on a healthy node (no pod churn re-queues it): with the other node, 2 affected > 1.
    env.cluster.store.create(REMS, {
      apiVersion: API_VERSION,
      kind: NODE_REMEDIATION_KIND,
      metadata: { name: 'held-check' },
      spec: { nodeName: healthy!, trigger: { source: 'Manual' } },
    } as unknown as KubeObject);
    await eventually(
      () => env!.remediationsOn(healthy!)[0]?.status?.reason === 'StormGuard',
      'held by the storm guard',
    );
    const repairedAt = log.length;
    env.cluster.repairNpmImage(other!);
    await eventually(
      () => TERMINAL.includes(phaseOf(env!.remediationsOn(healthy!)[0]) ?? ''),
      'the held remediation finished although its storm-guard wait is requeued after an hour',
      30_000,
    );
    stop();
    const started = log.findIndex((e) => e.name === 'held-check' && SLOT_PHASES.includes(e.phase));
    expect(started).toBeGreaterThanOrEqual(repairedAt);
    expect(env.remediationsOn(healthy!)[0]!.status!.reason).toBe('ChainsPresent');
  });
});

function crashLooping(env: Env, node: string): boolean {
  return env.cluster.store.list(PODS).some((pod) => {
    const p = pod as unknown as {
      spec?: { nodeName?: string };
      status?: { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] };
    };
    return (
      p.spec?.nodeName === node &&
      (p.status?.containerStatuses ?? []).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')
    );
  });
}
