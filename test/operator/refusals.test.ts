import {
  AGENT_SERVICE_ACCOUNT,
  CORDON_MARKER_ANNOTATION,
  type NodeRemediation,
} from '../../src/api/index.js';
import { EVENTS, NODES, SERVICE_ACCOUNTS, type KubeObject } from '../../tools/sim/api/types.js';
import { eventually } from '../kit/eventually.js';
import {
  AGENT_NAMESPACE,
  annotations,
  everCordoned,
  isUnschedulable,
  phaseOf,
  startEnv,
  type Env,
} from '../kit/env.js';

const POLICIES = { group: 'chainmedic.io', resource: 'remediationpolicies' };
const DENIAL =
  'jobs.batch "x" is forbidden: ValidatingAdmissionPolicy \'deny-privileged\' with binding ' +
  "'deny-privileged' denied request: privileged containers are not allowed";

interface Event {
  type: string;
  reason: string;
  count?: number;
  involvedObject: { kind: string; name: string };
}

/**
 * A call the API server refuses for good ends the remediation at once: Failed with the server's message, no
 * retry, no cordon left behind (issue 17). The sim's fault rules play the refusals; test/control-plane/
 * refusals.test.ts plays the real ones (an admission policy, a quota, a missing permission).
 */
describe('operator: calls the API server refuses', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  const warnings = (e: Env, name: string) =>
    (e.cluster.store.list(EVENTS) as unknown as Event[]).filter(
      (ev) => ev.type === 'Warning' && ev.involvedObject.name === name,
    );
  const ended = (nr: NodeRemediation | undefined) =>
    ['Succeeded', 'Failed', 'Skipped'].includes(phaseOf(nr) ?? '');

  it('a Job the dry run refuses: Failed/JobRejected on the first attempt, never cordoned, one Warning each', async () => {
    env = await startEnv({ linuxNodes: 3, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    env.cluster.server.faults.add({
      verb: 'create',
      resource: 'jobs.batch',
      errorCode: 422,
      reason: 'Invalid',
      message: DENIAL,
    });
    const cordons = everCordoned(env);
    const op = await env.start({ metricsPort: 0, metricsHost: '127.0.0.1' });
    await eventually(() => ended(env!.remediationsOn(n!)[0]), 'the remediation ended');
    cordons.stop();
    const nr = env.remediationsOn(n!)[0]!;
    expect(nr.status).toMatchObject({ phase: 'Failed', reason: 'JobRejected', attempt: 1 });
    expect(nr.status!.message).toContain(`(422 Invalid): ${DENIAL}`);
    expect(nr.status!.attempts).toHaveLength(1);
    expect(cordons.seen.has(n!)).toBe(false);
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
    // Only dry runs reached the server: the real create was never tried.
    const requests = env.cluster.server.requests;
    expect(requests.total({ verb: 'create', resource: 'jobs', dryRun: true })).toBe(1);
    expect(requests.total({ verb: 'create', resource: 'jobs', dryRun: false })).toBe(0);

    await eventually(
      () => warnings(env!, n!).some((e) => e.reason === 'RemediationFailed'),
      'the Warning on the Node',
    );
    expect(warnings(env, nr.metadata.name).map((e) => [e.reason, e.count ?? 1])).toEqual([
      ['JobRejected', 1],
    ]);
    expect(
      warnings(env, n!)
        .filter((e) => e.reason !== 'CrashLoopConfirmed')
        .map((e) => [e.reason, e.count ?? 1]),
    ).toEqual([['RemediationFailed', 1]]);

    // The fleet says it once, with the command to retry.
    await eventually(() => {
      const status = env!.cluster.store.get(POLICIES, undefined, 'default')?.status as
        | { rejectedNodes?: number; conditions?: { type: string; status: string; message: string }[] }
        | undefined;
      const degraded = status?.conditions?.find((c) => c.type === 'Degraded');
      return (
        status?.rejectedNodes === 1 &&
        degraded?.status === 'True' &&
        degraded.message.includes(DENIAL) &&
        degraded.message.includes(`kubectl delete noderemediation ${nr.metadata.name}`)
      );
    }, 'the policy Degraded with the refusal');
    const metrics = await (await fetch(`${op.metricsUrl()!}/metrics`)).text();
    expect(metrics).toMatch(/chainmedic_remediations_failed_total\{reason="JobRejected"\} 1/);
  });

  it('a Job create refused after the cordon releases the cordon and is not retried', async () => {
    env = await startEnv({ linuxNodes: 3, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    // Admission passes the dry run, the real create is refused (say, a quota filled in between).
    env.cluster.server.faults.add({
      verb: 'create',
      resource: 'jobs.batch',
      dryRun: false,
      errorCode: 403,
      reason: 'Forbidden',
      message: 'jobs.batch "x" is forbidden: exceeded quota: no-jobs, requested: count/jobs.batch=1',
    });
    const cordons = everCordoned(env);
    await env.start();
    await eventually(() => ended(env!.remediationsOn(n!)[0]), 'the remediation ended');
    const nr = env.remediationsOn(n!)[0]!;
    expect(nr.status).toMatchObject({ phase: 'Failed', reason: 'JobRejected', attempt: 1 });
    expect(nr.status!.message).toContain('exceeded quota: no-jobs');
    expect(nr.status!.message).toContain('its cordon is released');
    expect(cordons.seen.has(n!)).toBe(true);
    const node = env.node(n!) as KubeObject;
    expect(isUnschedulable(node)).toBe(false);
    expect(annotations(node)[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    expect(env.cluster.server.requests.total({ verb: 'create', resource: 'jobs', dryRun: false })).toBe(1);
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
  });

  it('a pre-cordoned node whose agent pod would be refused: JobRejected before any Job, left cordoned', async () => {
    env = await startEnv({ linuxNodes: 3, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    // The Job would be admitted, but the pods its controller makes would not (no ServiceAccount to run as): no cordon
    // of ours to dry-run before, so the pod is dry-run before the Job.
    env.cluster.store.delete(SERVICE_ACCOUNTS, AGENT_NAMESPACE, AGENT_SERVICE_ACCOUNT);
    env.cluster.store.patch(NODES, undefined, n!, 'merge', { spec: { unschedulable: true } });
    await env.start();
    await eventually(() => ended(env!.remediationsOn(n!)[0]), 'the remediation ended');
    const nr = env.remediationsOn(n!)[0]!;
    expect(nr.status).toMatchObject({ phase: 'Failed', reason: 'JobRejected', attempt: 1 });
    expect(nr.status!.message).toContain(`serviceaccount "${AGENT_SERVICE_ACCOUNT}" not found`);
    expect(env.cluster.server.requests.total({ verb: 'create', resource: 'jobs', dryRun: false })).toBe(0);
    expect(isUnschedulable(env.node(n!) as KubeObject)).toBe(true);
    expect(env.cluster.kubeletRestarts(n!)).toBe(0);
  });
});
