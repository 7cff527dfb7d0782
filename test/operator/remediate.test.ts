import { CORDON_MARKER_ANNOTATION } from '../../src/api/index.js';
import { eventually } from '../kit/eventually.js';
import {
  AGENT_NAMESPACE,
  annotations,
  FAST_POLICY,
  isUnschedulable,
  phaseOf,
  startEnv,
  type Env,
} from '../kit/env.js';

describe('operator end to end on the simulated cluster', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('remediates broken nodes: cordon, Job, one kubelet restart, verify, uncordon, Succeeded', async () => {
    env = await startEnv({ linuxNodes: 4, broken: 2 });
    const broken = env.cluster.brokenNodes().map((b) => b.node);
    const healthy = env.cluster.linuxNodeNames().filter((n) => !broken.includes(n));
    const cordonedSeen = new Set<string>();
    const unsubscribe = env.cluster.store.subscribe({ group: '', resource: 'nodes' }, (e) => {
      if (isUnschedulable(e.object)) cordonedSeen.add(e.object.metadata.name);
    });
    await env.start();
    await eventually(
      () => broken.every((n) => env!.remediationsOn(n).some((r) => phaseOf(r) === 'Succeeded')),
      'both broken nodes remediated',
    );
    unsubscribe();
    for (const n of broken) {
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      expect(cordonedSeen.has(n)).toBe(true);
      expect(isUnschedulable(env.node(n))).toBe(false);
      expect(annotations(env.node(n))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
      const [nr] = env.remediationsOn(n);
      expect(nr!.status!.agent?.kubeletRestarted).toBe(true);
      expect(nr!.status!.cordonedByUs).toBe(true);
    }
    // Events are written right after the status: wait for the last one.
    type Ev = { reason: string; involvedObject: { kind: string; name: string } };
    const reasonsOn = (kind: string, name: string) =>
      (env!.cluster.store.list({ group: '', resource: 'events' }) as unknown as Ev[])
        .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name)
        .map((e) => e.reason);
    for (const n of broken) {
      await eventually(() => reasonsOn('Node', n).includes('RemediationSucceeded'), 'the node event');
      expect(reasonsOn('Node', n)).toContain('CrashLoopConfirmed');
      const nrName = env.remediationsOn(n)[0]!.metadata.name;
      expect(reasonsOn('NodeRemediation', nrName)).toEqual(
        expect.arrayContaining(['AttemptStarted', 'KubeletRestarted']),
      );
    }
    for (const n of healthy) {
      expect(env.remediationsOn(n)).toHaveLength(0);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
    }
    // One Job per node, in the agent namespace; its pods there too, nothing of theirs beside the operator.
    const where = (o: { metadata: { namespace?: string } }) => o.metadata.namespace;
    const jobs = env.cluster.store.list({ group: 'batch', resource: 'jobs' });
    expect(jobs.map(where)).toEqual(broken.map(() => AGENT_NAMESPACE));
    const agentPods = env.cluster.store
      .list({ group: '', resource: 'pods' })
      .filter((p) => p.metadata.labels?.['job-name'] !== undefined);
    expect(agentPods.length).toBeGreaterThanOrEqual(broken.length);
    expect(new Set(agentPods.map(where))).toEqual(new Set([AGENT_NAMESPACE]));
  });
});

describe('operator end to end: special nodes and failures', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('leaves a node cordoned by someone else cordoned (wasUnschedulable), but still heals it', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    env.cluster.store.patch({ group: '', resource: 'nodes' }, undefined, n!, 'merge', {
      spec: { unschedulable: true },
    });
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded', 'Succeeded');
    const nr = env.remediationsOn(n!)[0]!;
    expect(nr.status!.wasUnschedulable).toBe(true);
    expect(nr.status!.cordonedByUs).toBe(false);
    expect(isUnschedulable(env.node(n!))).toBe(true);
    expect(annotations(env.node(n!))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    expect(env.cluster.kubeletRestarts(n!)).toBe(1);
  });

  it('never restarts kubelet on an npm-image-bug node (chains present): Skipped, uncordoned', async () => {
    env = await startEnv({ linuxNodes: 2 });
    const n = env.cluster.linuxNodeNames()[0]!;
    env.cluster.breakNode(n, 'npm-image-bug');
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(n)[0]) === 'Skipped', 'Skipped');
    const nr = env.remediationsOn(n)[0]!;
    expect(nr.status!.reason).toBe('ChainsPresent');
    expect(nr.status!.agent?.kubeletRestarted).toBe(false);
    expect(env.cluster.kubeletRestarts(n)).toBe(0);
    expect(isUnschedulable(env.node(n))).toBe(false);
  });

  it('retries after a Job that fails, within the attempt budget, and restarts kubelet once', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    env.cluster.failNextJob(n!);
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded', 'Succeeded after a retry');
    const nr = env.remediationsOn(n!)[0]!;
    expect(nr.status!.attempts).toHaveLength(2);
    expect(nr.status!.attempts![0]!.reason).toBe('JobFailed');
    expect(env.cluster.kubeletRestarts(n!)).toBe(1);
    expect(isUnschedulable(env.node(n!))).toBe(false);
  });

  it('gives up after maxAttemptsPerNode failed Jobs: Failed, node kept cordoned for a human', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1, policy: { ...FAST_POLICY, maxAttemptsPerNode: 2 } });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    const cluster = env.cluster;
    // Every Job pod on that node fails without running anything.
    const unsubscribe = cluster.store.subscribe({ group: 'batch', resource: 'jobs' }, (e) => {
      if (e.type === 'ADDED') cluster.failNextJob(n!);
    });
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Failed', 'Failed');
    unsubscribe();
    const nr = env.remediationsOn(n!)[0]!;
    expect(nr.status!.attempts).toHaveLength(2);
    expect(nr.status!.message).toMatch(/No attempts left/);
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
    expect(isUnschedulable(env.node(n!))).toBe(true);
    expect(annotations(env.node(n!))[CORDON_MARKER_ANNOTATION]).toBe(nr.metadata.name);
  });
});

describe('operator end to end: the cordon marker', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('never uncordons a node whose marker someone removed mid-remediation (they own the cordon now)', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    const cluster = env.cluster;
    let taken = false;
    const stop = cluster.store.subscribe({ group: 'chainmedic.io', resource: 'noderemediations' }, (e) => {
      const phase = (e.object.status as { phase?: string } | undefined)?.phase;
      if (!taken && phase === 'Remediating') {
        taken = true;
        cluster.store.patch({ group: '', resource: 'nodes' }, undefined, n!, 'merge', {
          metadata: { annotations: { [CORDON_MARKER_ANNOTATION]: null } },
        });
      }
    });
    await env.start();
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded', 'Succeeded');
    stop();
    expect(taken).toBe(true);
    expect(isUnschedulable(env.node(n!))).toBe(true);
    expect(annotations(env.node(n!))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    expect(env.cluster.kubeletRestarts(n!)).toBe(1);
  });
});
