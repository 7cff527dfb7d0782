import { API_VERSION, NODE_REMEDIATION_KIND, OPT_OUT_ANNOTATION } from '../../src/api/index.js';
import { PODS, EVENTS, type KubeObject } from '../../tools/sim/api/types.js';
import { DEFAULT_SIGNATURE } from '../../src/config/policy.js';
import { eventually } from '../kit/eventually.js';
import { everCordoned, FAST_POLICY, isUnschedulable, phaseOf, startEnv, type Env } from '../kit/env.js';

const NODES = { group: '', resource: 'nodes' };
const REMS = { group: 'chainmedic.io', resource: 'noderemediations' };
const POLICIES = { group: 'chainmedic.io', resource: 'remediationpolicies' };

describe('operator gates on the simulated cluster', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('never acts on an opted-out node, while healing another broken node', async () => {
    env = await startEnv({ linuxNodes: 3, broken: 2 });
    const [optedOut, control] = env.cluster.brokenNodes().map((b) => b.node);
    env.cluster.store.patch(NODES, undefined, optedOut!, 'merge', {
      metadata: { annotations: { [OPT_OUT_ANNOTATION]: 'true' } },
    });
    const cordons = everCordoned(env);
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(control!)[0]) === 'Succeeded', 'control node healed');
    await eventually(
      () => env!.remediationsOn(optedOut!).every((r) => phaseOf(r) === 'Skipped'),
      'opted-out Skipped',
    );
    cordons.stop();
    for (const nr of env.remediationsOn(optedOut!)) expect(nr.status!.reason).toBe('OptedOut');
    expect(cordons.seen.has(optedOut!)).toBe(false);
    expect(env.cluster.kubeletRestarts(optedOut!)).toBe(0);
  });

  it('leaves a windows node with a crash-looping azure-npm-win pod untouched', async () => {
    env = await startEnv({ linuxNodes: 2, windowsNodes: 1, broken: 1 });
    const win = env.cluster.windowsNodeNames()[0]!;
    const [control] = env.cluster.brokenNodes().map((b) => b.node);
    const winPod = env.cluster.store
      .list(PODS, { namespace: 'kube-system' })
      .find((p) => (p.spec as { nodeName?: string }).nodeName === win)!;
    expect(winPod.metadata.name).toMatch(/^azure-npm-win-/);
    // What its kubelet would serve as the previous run's log.
    env.cluster.kubelets.logs.started(
      'kube-system',
      winPod.metadata.name,
      'azure-npm',
      `${DEFAULT_SIGNATURE}\n`,
    );
    env.cluster.kubelets.logs.started('kube-system', winPod.metadata.name, 'azure-npm', '');
    env.cluster.store.patch(
      PODS,
      'kube-system',
      winPod.metadata.name,
      'merge',
      {
        status: {
          containerStatuses: [
            {
              name: 'azure-npm',
              restartCount: 9,
              ready: false,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(control!)[0]) === 'Succeeded', 'control node healed');
    expect(env.remediationsOn(win)).toHaveLength(0);
    expect(isUnschedulable(env.node(win))).toBe(false);
    // A manual request on the windows node is refused too.
    env.cluster.store.create(REMS, {
      apiVersion: API_VERSION,
      kind: NODE_REMEDIATION_KIND,
      metadata: { name: 'manual-win' },
      spec: { nodeName: win, trigger: { source: 'Manual' } },
    });
    await eventually(
      () => phaseOf(env!.remediationsOn(win)[0]) === 'Skipped',
      'manual windows request Skipped',
    );
    expect(env.remediationsOn(win)[0]!.status!.reason).toBe('NotLinux');
  });

  it('counts a crash loop whose previous log matches no signature, and does not remediate it', async () => {
    env = await startEnv({
      linuxNodes: 2,
      broken: 1,
      policy: { ...FAST_POLICY, signatures: ['some other failure'] },
    });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    await env.start();
    await eventually(() => {
      const status = env!.cluster.store.get(POLICIES, undefined, 'default')?.status as
        { unconfirmedCrashLoops?: number } | undefined;
      return (status?.unconfirmedCrashLoops ?? 0) >= 1;
    }, 'unconfirmed crash loop counted on the policy');
    const events = env.cluster.store.list(EVENTS) as unknown as {
      reason: string;
      involvedObject: { name: string };
    }[];
    expect(events.some((e) => e.reason === 'CrashLoopUnconfirmed' && e.involvedObject.name === n)).toBe(true);
    expect(env.remediationsOn(n!)).toHaveLength(0);
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
  });

  it('waits while the node is NotReady, then proceeds once it is Ready', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    env.cluster.setNodeReady(n!, false);
    // Its kubelet stops renewing the Lease: the node lifecycle controller marks it once the grace period is over.
    await eventually(() => {
      const ready = (
        env!.node(n!).status as { conditions?: Array<{ type: string; status: string }> }
      ).conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'Unknown';
    }, 'the node NotReady in the API');
    // A crash loop seen before the node went away: the episode is recorded by hand here.
    env.cluster.store.create(REMS, {
      apiVersion: API_VERSION,
      kind: NODE_REMEDIATION_KIND,
      metadata: { name: 'notready-episode' },
      spec: { nodeName: n!, trigger: { source: 'Manual' } },
    });
    await env.start();
    await eventually(
      () => env!.remediationsOn(n!)[0]?.status?.reason === 'NodeNotReady',
      'Waiting with reason NodeNotReady',
    );
    expect(phaseOf(env.remediationsOn(n!)[0])).toBe('Waiting');
    expect(isUnschedulable(env.node(n!))).toBe(false);
    env.cluster.setNodeReady(n!, true);
    await eventually(
      () => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded',
      'Succeeded once Ready',
      50_000,
    );
    expect(env.cluster.kubeletRestarts(n!)).toBe(1);
  });

  it('storm guard: too many affected nodes -> nobody is touched until maxUnhealthy is raised', async () => {
    env = await startEnv({
      linuxNodes: 4,
      broken: 3,
      policy: { ...FAST_POLICY, maxUnhealthy: 2, maxConcurrent: 1 },
    });
    const broken = env.cluster.brokenNodes().map((b) => b.node);
    const cordons = everCordoned(env);
    await env.start();
    await eventually(
      () => broken.every((n) => env!.remediationsOn(n).some((r) => r.status?.reason === 'StormGuard')),
      'every remediation held by the storm guard',
    );
    await eventually(() => {
      const status = env!.cluster.store.get(POLICIES, undefined, 'default')?.status as
        { stormGuard?: { active: boolean } } | undefined;
      return status?.stormGuard?.active === true;
    }, 'storm guard shown on the policy');
    expect(cordons.seen.size).toBe(0);
    expect(broken.map((n) => env!.cluster.kubeletRestarts(n))).toEqual([0, 0, 0]);
    // maxConcurrent 1: never two remediations holding a slot (or two cordons) at the same time.
    const slots = new Map<string, string>();
    let maxSlots = 0;
    const stopSlots = env.cluster.store.subscribe(REMS, (e) => {
      const phase = (e.object.status as { phase?: string } | undefined)?.phase ?? '';
      if (['Cordoning', 'Remediating', 'Verifying', 'Uncordoning'].includes(phase) && e.type !== 'DELETED')
        slots.set(e.object.metadata.name, phase);
      else slots.delete(e.object.metadata.name);
      maxSlots = Math.max(maxSlots, slots.size);
    });
    env.setPolicy({ ...FAST_POLICY, maxUnhealthy: 3, maxConcurrent: 1 });
    await eventually(
      () => broken.every((n) => phaseOf(env!.remediationsOn(n)[0]) === 'Succeeded'),
      'all healed once the guard is lifted',
      50_000,
    );
    stopSlots();
    cordons.stop();
    expect(maxSlots).toBe(1);
    expect(broken.map((n) => env!.cluster.kubeletRestarts(n))).toEqual([1, 1, 1]);
  });

  it('a paused policy holds remediations in Waiting; unpausing lets them run', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1, policy: { ...FAST_POLICY, paused: true } });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    await env.start();
    await eventually(() => env!.remediationsOn(n!)[0]?.status?.reason === 'Paused', 'Waiting: Paused');
    expect(isUnschedulable(env.node(n!))).toBe(false);
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
    env.setPolicy({ ...FAST_POLICY, paused: false });
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded', 'Succeeded after unpause');
    expect(env.cluster.kubeletRestarts(n!)).toBe(1);
  });

  it('dry-run only probes: no cordon, no kubelet restart, the verdict recorded', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1, policy: { ...FAST_POLICY, dryRun: true } });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    const cordons = everCordoned(env);
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Skipped', 'Skipped');
    cordons.stop();
    const nr = env.remediationsOn(n!)[0]!;
    expect(nr.status!.reason).toBe('DryRun');
    expect(nr.status!.agent?.before?.verdict).toBe('missing');
    expect(cordons.seen.has(n!)).toBe(false);
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
  });

  it('drives a manual NodeRemediation on a healthy node: the probe finds the chains, kubelet untouched', async () => {
    env = await startEnv({ linuxNodes: 2 });
    const n = env.cluster.linuxNodeNames()[0]!;
    await env.start();
    env.cluster.store.create(REMS, {
      apiVersion: API_VERSION,
      kind: NODE_REMEDIATION_KIND,
      metadata: { name: 'manual-check' },
      spec: { nodeName: n, trigger: { source: 'Manual' } },
    } as unknown as KubeObject);
    await eventually(() => phaseOf(env!.remediationsOn(n)[0]) === 'Skipped', 'Skipped');
    expect(env.remediationsOn(n)[0]!.status!.reason).toBe('ChainsPresent');
    expect(env.cluster.kubeletRestarts(n)).toBe(0);
    expect(isUnschedulable(env.node(n))).toBe(false);
  });
});

describe('operator with an invalid policy', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('acts as paused and says why on the policy status until the spec is fixed', async () => {
    // One that gets past the CRD (the API server cannot compile JavaScript regular expressions) with the webhook down.
    env = await startEnv({ linuxNodes: 2, broken: 1, policy: { ...FAST_POLICY, signatures: ['(unclosed'] } });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    await env.start();
    await eventually(() => env!.remediationsOn(n!)[0]?.status?.reason === 'Paused', 'held as paused');
    await eventually(() => {
      const conditions = (
        env!.cluster.store.get(POLICIES, undefined, 'default')?.status as
          { conditions?: { type: string; status: string; message: string }[] } | undefined
      )?.conditions;
      const ready = conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && ready.message.includes('spec.signatures[0]');
    }, 'Ready=False (InvalidPolicy) naming spec.signatures[0]');
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
    env.setPolicy(FAST_POLICY);
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded', 'Succeeded once fixed');
  });

  it('never runs an agent image its own configuration does not allow, and warns on the policy', async () => {
    const foreign = 'attacker.example/miner:latest';
    env = await startEnv({ linuxNodes: 2, broken: 1, policy: { ...FAST_POLICY, job: { image: foreign } } });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    await env.start({ allowedAgentImages: ['registry.example/chainmedic:1.2.3'] });
    await eventually(() => env!.remediationsOn(n!)[0]?.status?.reason === 'Paused', 'held as paused');
    await eventually(() => {
      const conditions = (
        env!.cluster.store.get(POLICIES, undefined, 'default')?.status as
          { conditions?: { type: string; status: string; message: string }[] } | undefined
      )?.conditions;
      const ready = conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && ready.message.includes(`spec.job.image: "${foreign}"`);
    }, 'Ready=False (InvalidPolicy) naming spec.job.image');
    const warning = (
      env.cluster.store.list(EVENTS) as unknown as {
        type: string;
        reason: string;
        message: string;
        involvedObject: { kind: string; name: string };
      }[]
    ).find((e) => e.reason === 'InvalidPolicy');
    expect(warning).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'RemediationPolicy', name: 'default' },
    });
    expect(warning!.message).toContain('"registry.example/chainmedic:1.2.3"');
    expect(env.cluster.server.requests.total({ verb: 'create', resource: 'jobs' })).toBe(0);

    // An allowed image is taken.
    env.setPolicy({ ...FAST_POLICY, job: { image: 'registry.example/chainmedic:1.2.3' } });
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded', 'Succeeded once allowed');
    const jobs = env.cluster.store.list({ group: 'batch', resource: 'jobs' }) as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    }[];
    expect(jobs.map((j) => j.spec.template.spec.containers[0]!.image)).toEqual([
      'registry.example/chainmedic:1.2.3',
    ]);
  });
});
