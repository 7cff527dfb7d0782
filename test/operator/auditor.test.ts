/**
 * The auditor's effects (src/operator/auditor.ts) against the simulated API server, one tick per call: the probe
 * Jobs it creates (named for their cause, owned by their Node), nothing while it does not lead, and a probe Job the
 * API server refuses: a ProbeRejected Event on the Node, the refusal counted, the node not asked again for a while.
 */
import { LABEL_NODE, LABEL_PROBE } from '../../src/api/index.js';
import { Auditor } from '../../src/operator/auditor.js';
import { createOperatorMetrics } from '../../src/server/metrics.js';
import { EVENTS, JOBS, NODES } from '../../tools/sim/api/types.js';
import { AGENT_NS, startOperatorParts, type OperatorParts } from '../kit/operator-parts.js';
import { nodeObject, type SimApi } from '../kit/sim-api.js';

describe('Auditor', () => {
  let sim: SimApi;
  let parts: OperatorParts | undefined;
  let auditor: Auditor;
  let leading = true;
  const metrics = createOperatorMetrics();

  async function start(nodes: string[]): Promise<void> {
    const mayAct = () => leading;
    parts = await startOperatorParts({
      policy: { audit: { maxConcurrentProbes: 2, interval: '1h' } },
      objects: [
        ...nodes.map((node): [typeof NODES, unknown] => [NODES, nodeObject(node)]),
        [NODES, nodeObject('win', { 'kubernetes.io/os': 'windows' })],
      ],
      mayAct,
    });
    sim = parts.sim;
    const { caches, fleet, policy, rest, recorder, log } = parts;
    auditor = new Auditor({
      caches,
      fleet,
      policy,
      rest,
      recorder,
      log,
      metrics,
      mayAct,
      agentNamespace: AGENT_NS,
      agentImage: 'chainmedic:test',
    });
  }

  afterEach(async () => {
    leading = true;
    await parts?.stop();
    parts = undefined;
  });

  const probeJobs = () =>
    (
      sim.store.list(JOBS) as unknown as { metadata: { name: string; labels: Record<string, string> } }[]
    ).filter((j) => j.metadata.labels[LABEL_PROBE] !== undefined);
  const jobCreates = () => sim.server.requests.total({ verb: 'create', resource: 'jobs', dryRun: false });

  it('creates the planned probe Job: owned by its Node, probing only, Linux nodes only', async () => {
    await start(['n1', 'n2', 'n3']);
    const orders = await auditor.tick();
    // The first rolling probe starts the schedule (one; the next one a pace later: 16 minutes here).
    expect(orders.map((o) => o.reason)).toEqual(['Rolling']);
    const jobs = probeJobs();
    expect(jobs.map((j) => j.metadata.labels[LABEL_NODE]).sort()).toEqual(orders.map((o) => o.node).sort());
    const job = sim.store.get(JOBS, AGENT_NS, jobs[0]!.metadata.name) as unknown as {
      metadata: { ownerReferences: { kind: string; name: string; blockOwnerDeletion?: boolean }[] };
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Node',
        name: jobs[0]!.metadata.labels[LABEL_NODE],
        controller: false,
      }),
    ]);
    expect(job.spec.template.spec.containers[0]!.args).toEqual(['agent', 'probe', '--json']);
    expect(await auditor.tick()).toEqual([]);
    expect(auditor.status()).toMatchObject({ eligibleNodes: 3, probesRunning: 1, probedWithinInterval: 0 });
  });

  it('a replica that stops leading exports zero coverage, not its last counts (the alert takes the max)', async () => {
    await start(['n1', 'n2', 'n3']);
    await auditor.tick();
    const gauge = async (state: string) =>
      Number(
        new RegExp(`^chainmedic_audit_nodes\\{state="${state}"\\} (\\d+)$`, 'm').exec(
          await metrics.registry.metrics(),
        )?.[1],
      );
    expect(await gauge('eligible')).toBe(3);
    leading = false;
    auditor.stop();
    expect(auditor.status()).toBeUndefined();
    expect(await gauge('eligible')).toBe(0);
    expect(await gauge('chains_missing')).toBe(0);
  });

  it('plans and creates nothing while another replica leads', async () => {
    await start(['n1']);
    leading = false;
    expect(await auditor.tick()).toEqual([]);
    expect(jobCreates()).toBe(0);
  });

  it('a refused probe Job: a ProbeRejected Event on the Node, counted, the node not asked again for a while', async () => {
    await start(['n1']);
    sim.server.faults.add({
      verb: 'create',
      resource: 'jobs.batch',
      errorCode: 403,
      reason: 'Forbidden',
      message: 'exceeded quota: agent-quota',
    });
    expect((await auditor.tick()).map((o) => o.node)).toEqual(['n1']);
    expect(jobCreates()).toBe(1);
    const events = () =>
      (
        sim.store.list(EVENTS) as unknown as {
          reason: string;
          message: string;
          involvedObject: { name: string };
        }[]
      ).filter((e) => e.reason === 'ProbeRejected');
    for (let i = 0; i < 200 && events().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(events()).toEqual([
      expect.objectContaining({ involvedObject: expect.objectContaining({ name: 'n1' }) }),
    ]);
    expect(events()[0]!.message).toContain('exceeded quota: agent-quota');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^chainmedic_probe_jobs_rejected_total 1$/m);
    // The next rounds leave it alone (it is not eligible during the back-off).
    expect(await auditor.tick()).toEqual([]);
    expect(jobCreates()).toBe(1);
  });
});
