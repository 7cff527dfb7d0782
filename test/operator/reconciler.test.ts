import { CORDON_MARKER_ANNOTATION, type NodeRemediation } from '../../src/api/index.js';
import type { Caches } from '../../src/operator/caches.js';
import { operatorDetector, Reconciler } from '../../src/operator/reconciler.js';
import { REQUEUE } from '../../src/remediation/decide.js';
import { buildProbeJob } from '../../src/remediation/job.js';
import { JOBS, NODES, PODS, type KubeObject } from '../../tools/sim/api/types.js';
import { FAST_POLICY } from '../kit/env.js';
import { AGENT_NS, startOperatorParts, type OperatorParts } from '../kit/operator-parts.js';
import { nodeObject, type SimApi } from '../kit/sim-api.js';

const REMS = { group: 'chainmedic.io', resource: 'noderemediations' };
const DENIAL =
  "ValidatingAdmissionPolicy 'deny-privileged' denied request: privileged containers are not allowed";

/**
 * The reconciler (src/operator/reconciler.ts) alone, one pass per call, no work queue: the caches it observes, the
 * decision, and the writes it makes, against the simulated API server.
 */
describe('Reconciler', () => {
  let sim: SimApi;
  let parts: OperatorParts | undefined;
  let caches: Caches;
  let reconciler: Reconciler;

  async function start(nodes: string[], maxConcurrent = 5): Promise<void> {
    const mayAct = () => true;
    parts = await startOperatorParts({
      policy: { ...FAST_POLICY, maxConcurrent },
      objects: nodes.flatMap((node): [{ group: string; resource: string }, unknown][] => [
        [NODES, nodeObject(node)],
        [
          REMS,
          {
            apiVersion: 'chainmedic.io/v1alpha1',
            kind: 'NodeRemediation',
            metadata: { name: `nr-${node}` },
            spec: { nodeName: node, trigger: { source: 'Manual' } },
          },
        ],
      ]),
      mayAct,
    });
    ({ sim, caches } = parts);
    const { rest, log, recorder, fleet, policy } = parts;
    const detector = operatorDetector({ rest, log, recorder, mayAct, nodes: caches.nodes });
    reconciler = new Reconciler({
      caches,
      fleet,
      policy,
      detector,
      recorder,
      rest,
      log,
      mayAct,
      agentNamespace: AGENT_NS,
      agentImage: 'chainmedic:test',
    });
  }

  afterEach(async () => {
    await parts?.stop();
    parts = undefined;
  });

  const stored = (node: string) => sim.store.get(REMS, undefined, `nr-${node}`) as unknown as NodeRemediation;
  const node = (name: string) =>
    sim.store.get(NODES, undefined, name) as unknown as {
      spec: { unschedulable?: boolean };
      metadata: { annotations?: Record<string, string> };
    };
  const jobCreates = (dryRun: boolean) =>
    sim.server.requests.total({ verb: 'create', resource: 'jobs', dryRun });

  it('one pass for a node key: observes the caches, decides, writes the intent and then its one effect', async () => {
    await start(['n1']);
    const result = await reconciler.reconcile('n1');
    expect(result).toEqual({ requeueAfterMs: REQUEUE.cordon });
    // The intent, in the API server and (read-your-writes) in the cache the next pass reads.
    expect(stored('n1').status).toMatchObject({ phase: 'Cordoning', reason: 'AttemptStarted', attempt: 1 });
    expect(caches.remediations.get('nr-n1')?.status?.phase).toBe('Cordoning');
    // The effect: the Job admitted by a dry run, then the cordon with our marker.
    expect(jobCreates(true)).toBe(1);
    expect(jobCreates(false)).toBe(0);
    expect(node('n1').spec.unschedulable).toBe(true);
    expect(node('n1').metadata.annotations?.[CORDON_MARKER_ANNOTATION]).toBe('nr-n1');
  });

  it('a refused call ends the remediation in that pass, once: no throw (no back-off retry), no second try', async () => {
    await start(['n1']);
    sim.server.faults.add({
      verb: 'create',
      resource: 'jobs.batch',
      errorCode: 422,
      reason: 'Invalid',
      message: DENIAL,
    });
    await expect(reconciler.reconcile('n1')).resolves.toEqual({});
    const ended = stored('n1');
    expect(ended.status).toMatchObject({ phase: 'Failed', reason: 'JobRejected', attempt: 1 });
    expect(ended.status?.message).toContain(DENIAL);
    expect(node('n1').spec.unschedulable).toBeUndefined();
    expect(jobCreates(true)).toBe(1);

    // Another pass (a requeue, a watch event): the remediation has ended, nothing is tried or written again.
    await expect(reconciler.reconcile('n1')).resolves.toEqual({});
    expect(jobCreates(true)).toBe(1);
    expect(stored('n1').metadata.resourceVersion).toBe(ended.metadata.resourceVersion);
  });

  it('two gates reconciled at once never both take the last slot (the admission mutex)', async () => {
    await start(['n1', 'n2'], 1);
    await Promise.all([reconciler.reconcile('n1'), reconciler.reconcile('n2')]);
    const phases = ['n1', 'n2'].map((n) => stored(n).status?.phase).sort();
    expect(phases).toEqual(['Cordoning', 'Waiting']);
    const waiting = ['n1', 'n2'].map(stored).find((r) => r.status?.phase === 'Waiting');
    expect(waiting?.status?.reason).toBe('NoSlot');
    expect(jobCreates(true)).toBe(1);
  });

  /** A probe Job on `node` that finished and found the chains missing (`agent probe` exits 1). */
  async function finishedProbe(nodeName: string): Promise<string> {
    sim.store.create(NODES, nodeObject(nodeName));
    const uid = (sim.store.get(NODES, undefined, nodeName) as KubeObject).metadata.uid as string;
    const job = buildProbeJob({
      node: { name: nodeName, uid },
      reason: 'KubeletStarted',
      key: 'start-1',
      namespace: AGENT_NS,
      image: 'chainmedic:test',
      timeoutSeconds: 60,
      ttlAfterFinishedSeconds: 3600,
    });
    const now = new Date().toISOString();
    sim.store.create(JOBS, {
      ...job,
      status: {
        completionTime: now,
        conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: now }],
      },
    } as unknown as KubeObject);
    sim.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${job.metadata.name}-x`,
        namespace: AGENT_NS,
        labels: { ...job.spec.template.metadata.labels, 'job-name': job.metadata.name },
      },
      spec: job.spec.template.spec,
      status: { containerStatuses: [{ name: 'agent', state: { terminated: { exitCode: 1 } } }] },
    } as unknown as KubeObject);
    for (let i = 0; i < 200 && caches.jobsOn(nodeName).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 200 && !caches.agentPods.list().some((p) => p.spec.nodeName === nodeName); i++)
      await new Promise((r) => setTimeout(r, 10));
    return job.metadata.name;
  }

  const chainsCondition = (name: string) =>
    (
      sim.store.get(NODES, undefined, name) as unknown as {
        status: { conditions?: { type: string; status: string; reason?: string }[] };
      }
    ).status.conditions?.find((c) => c.type === 'KubeletIPTablesInitFailed');

  it('a probe that found the chains missing: the Node condition True, then a NodeRemediation from the audit', async () => {
    await start(['n1']);
    const probe = await finishedProbe('n2');
    await reconciler.reconcile('n2');
    expect(chainsCondition('n2')).toMatchObject({ status: 'True', reason: 'ChainsMissing' });
    const created = (sim.store.list(REMS) as unknown as NodeRemediation[]).filter(
      (r) => r.spec.nodeName === 'n2',
    );
    expect(created.map((r) => r.spec.trigger)).toEqual([
      expect.objectContaining({ source: 'Audit', probeJob: probe, probeReason: 'KubeletStarted' }),
    ]);
  });

  it('a Node condition the API server refuses holds up nothing: logged, the remediation is created all the same', async () => {
    await start(['n1']);
    sim.server.faults.add({
      verb: 'patch',
      resource: 'nodes',
      errorCode: 403,
      reason: 'Forbidden',
      message: 'no',
    });
    await finishedProbe('n2');
    await expect(reconciler.reconcile('n2')).resolves.toEqual({});
    expect(chainsCondition('n2')).toBeUndefined();
    const created = (sim.store.list(REMS) as unknown as NodeRemediation[]).filter(
      (r) => r.spec.nodeName === 'n2',
    );
    expect(created).toHaveLength(1);
  });
});
