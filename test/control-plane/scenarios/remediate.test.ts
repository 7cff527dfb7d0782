/**
 * The operator's main scenario on both control planes (issue 13): one cluster per plane, every kind of node at
 * once, the built operator running as its Deployment would. Everything is asserted through the API, the kubelet
 * restarts on the simulated hosts.
 */
import { CORDON_MARKER_ANNOTATION, OPT_OUT_ANNOTATION } from '../../../src/api/index.js';
import { KubeApiError } from '../../../src/kube/errors.js';
import {
  annotationsOf,
  PLANES,
  isUnschedulable,
  phaseOf,
  PLANE_POLICY,
  startPlaneEnv,
  type CordonWatch,
  type PlaneEnv,
} from '../../kit/plane-env.js';
import { AGENT_NAMESPACE } from '../operator-install.js';

const ROLES = [
  'raceA',
  'raceB',
  'imageBug',
  'optOut',
  'optOutFalse',
  'optOutYes',
  'preCordoned',
  'healthy',
] as const;
type Role = (typeof ROLES)[number];
/** A guard per case, never a measurement: the real plane's controllers keep real time. */
const CASE_MS = 180_000;

describe.each(PLANES)('remediation end to end on the %s control plane', (plane) => {
  let env: PlaneEnv;
  let cordons: CordonWatch;
  const node = {} as Record<Role, string>;
  let windows: string;

  beforeAll(async () => {
    env = await startPlaneEnv(plane, {
      linuxNodes: ROLES.length,
      windowsNodes: 1,
      // Every broken node at once: maxUnhealthy stays above them, maxConcurrent lets them all run.
      policy: { ...PLANE_POLICY, maxConcurrent: 10 },
      operator: false,
    });
    windows = env.cluster.windowsNodeNames()[0]!;
    const linux = env.cluster.linuxNodeNames();
    ROLES.forEach((role, i) => (node[role] = linux[i]!));
    for (const role of ['raceA', 'raceB', 'optOut', 'optOutFalse', 'optOutYes', 'preCordoned'] as const)
      env.cluster.breakNode(node[role], 'kubelet-init-race');
    env.cluster.breakNode(node.imageBug, 'npm-image-bug');
    await env.patchNode(node.optOut, { annotations: { [OPT_OUT_ANNOTATION]: 'true' } });
    await env.patchNode(node.optOutFalse, { annotations: { [OPT_OUT_ANNOTATION]: 'false' } });
    await env.patchNode(node.optOutYes, { annotations: { [OPT_OUT_ANNOTATION]: 'yes' } });
    await env.patchNode(node.preCordoned, { unschedulable: true });
    cordons = await env.watchCordons();
    await env.startOperator();
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  });

  /** Waits for the node's one remediation to end Succeeded and checks what a healed node looks like. */
  async function expectHealed(n: string): Promise<void> {
    await env.until(
      async () => (await env.remediationsOn(n)).some((r) => phaseOf(r) === 'Succeeded'),
      `${n} remediated`,
      90_000,
    );
    const nrs = await env.remediationsOn(n);
    expect(nrs.map(phaseOf)).toEqual(['Succeeded']);
    const nr = nrs[0]!;
    expect(nr.status!.agent?.kubeletRestarted).toBe(true);
    expect(env.cluster.kubeletRestarts(n)).toBe(1);
    // azure-npm runs again: a pod on the node, not being deleted, its container ready.
    await env.until(
      async () =>
        (await env.npmPodsOn(n)).some(
          (p) =>
            !p.metadata.deletionTimestamp &&
            p.status?.phase === 'Running' &&
            p.status.containerStatuses?.some((c) => c.name === 'azure-npm' && c.ready === true) === true,
        ),
      `azure-npm running again on ${n}`,
    );
  }

  it(
    'heals each race node with one kubelet restart, cordons it meanwhile, uncordons it after',
    async () => {
      for (const n of [node.raceA, node.raceB]) {
        await expectHealed(n);
        const nr = (await env.remediationsOn(n))[0]!;
        expect(nr.status!.cordonedByUs).toBe(true);
        expect(cordons.seen.has(n)).toBe(true);
        const after = await env.node(n);
        expect(isUnschedulable(after)).toBe(false);
        expect(annotationsOf(after)[CORDON_MARKER_ANNOTATION]).toBeUndefined();
        // Events follow the status write: wait for the last one.
        await env.until(
          async () => (await env.eventsAbout('Node', n)).some((e) => e.reason === 'RemediationSucceeded'),
          `the RemediationSucceeded Event on ${n}`,
        );
        expect((await env.eventsAbout('Node', n)).map((e) => e.reason)).toContain('CrashLoopConfirmed');
        expect((await env.eventsAbout('NodeRemediation', nr.metadata.name)).map((e) => e.reason)).toEqual(
          expect.arrayContaining(['AttemptStarted', 'KubeletRestarted']),
        );
      }
      // The agent Jobs run in the agent namespace, one per remediated node.
      const jobs = await env.jobs();
      expect(new Set(jobs.map((j) => j.metadata.namespace))).toEqual(new Set([AGENT_NAMESPACE]));
    },
    CASE_MS,
  );

  it(
    'never restarts kubelet where the chains are present (azure-npm image bug): Skipped ChainsPresent',
    async () => {
      const n = node.imageBug;
      await env.until(
        async () => (await env.remediationsOn(n)).some((r) => phaseOf(r) === 'Skipped'),
        `${n} skipped`,
        90_000,
      );
      const nr = (await env.remediationsOn(n)).find((r) => phaseOf(r) === 'Skipped')!;
      expect(nr.status!.reason).toBe('ChainsPresent');
      expect(nr.status!.agent?.kubeletRestarted).toBe(false);
      await env.until(async () => !isUnschedulable(await env.node(n)), `${n} uncordoned`);
      for (const r of await env.remediationsOn(n))
        expect(r.status?.agent?.kubeletRestarted ?? false).toBe(false);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
    },
    CASE_MS,
  );

  it(
    'opts a node out only with the exact value "true"',
    async () => {
      // "false" and "yes" are no opt-out: those nodes are healed like any other.
      await expectHealed(node.optOutFalse);
      await expectHealed(node.optOutYes);
      const n = node.optOut;
      await env.until(
        async () => (await env.remediationsOn(n)).some((r) => r.status?.reason === 'OptedOut'),
        `${n} Skipped OptedOut`,
        90_000,
      );
      for (const r of await env.remediationsOn(n)) {
        expect(r.status?.attempts ?? []).toEqual([]);
        expect(['Pending', 'Skipped', undefined]).toContain(phaseOf(r));
      }
      expect(cordons.seen.has(n)).toBe(false);
      expect(env.cluster.kubeletRestarts(n)).toBe(0);
    },
    CASE_MS,
  );

  it(
    'heals a node someone else cordoned and leaves it cordoned',
    async () => {
      const n = node.preCordoned;
      await expectHealed(n);
      const nr = (await env.remediationsOn(n))[0]!;
      expect(nr.status!.wasUnschedulable).toBe(true);
      expect(nr.status!.cordonedByUs).toBe(false);
      const after = await env.node(n);
      expect(isUnschedulable(after)).toBe(true);
      expect(annotationsOf(after)[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    },
    CASE_MS,
  );

  it(
    'leaves Windows nodes and healthy nodes untouched',
    async () => {
      // By now the broken nodes' remediations have ended: the operator has seen the whole fleet.
      await env.until(
        async () => (await env.remediationsOn(node.raceB)).some((r) => phaseOf(r) === 'Succeeded'),
        'the fleet remediated',
        90_000,
      );
      for (const n of [windows, node.healthy]) {
        expect(await env.remediationsOn(n)).toEqual([]);
        expect(cordons.seen.has(n)).toBe(false);
      }
      expect(env.cluster.kubeletRestarts(node.healthy)).toBe(0);
      cordons.stop();
    },
    CASE_MS,
  );

  /**
   * The webhook refuses a NodeRemediation for a Windows node (the operator would end it Skipped/NotLinux if the
   * webhook were down: test/operator/gates.test.ts). Found on the real plane first; the memory sim calls
   * admission webhooks since.
   */
  it(
    'the webhook refuses a manual NodeRemediation on a Windows node',
    async () => {
      let refusal: unknown;
      try {
        await env.createRemediation('manual-windows', windows);
      } catch (err) {
        refusal = err;
      }
      expect(refusal).toBeInstanceOf(KubeApiError);
      expect((refusal as KubeApiError).code).toBe(403);
      expect((refusal as KubeApiError).message).toContain(`node "${windows}" is not a Linux node`);
      expect(await env.remediationsOn(windows)).toEqual([]);
    },
    CASE_MS,
  );
});
