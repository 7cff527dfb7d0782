/**
 * Two replicas of the built operator with leader election (the Deployment's `--leader-elect`, the product's
 * Lease timings), on both control planes (issue 13): one leader at a time; the leader SIGKILLed at each phase
 * of one remediation, a fresh replica started each time so two are always running; a cordon left by a
 * remediation that is gone released by the next leader after a graceful stop. Exactly one kubelet restart per node, no node left
 * cordoned by us. One cluster per plane, each case on its own nodes.
 */
import { CORDON_MARKER_ANNOTATION, type NodeRemediation, type Phase } from '../../../src/api/index.js';
import { paths } from '../../../src/kube/paths.js';
import {
  annotationsOf,
  isUnschedulable,
  phaseOf,
  PLANES,
  startPlaneEnv,
  watchObjects,
  type PlaneEnv,
  type PlaneOperator,
} from '../../kit/plane-env.js';

const ROLES = ['first', 'crashes', 'stale', 'othersCordon'] as const;
type Role = (typeof ROLES)[number];
const PHASES: Phase[] = ['Cordoning', 'Remediating', 'Verifying', 'Uncordoning'];
/** A failover waits out the product's Lease (15 s) after a SIGKILL: a guard, never a measurement. */
const FAILOVER_MS = 60_000;
/** A guard per case (jest's own is 60 s). */
const CASE_MS = 180_000;

describe.each(PLANES)('operator replicas on the %s control plane', (plane) => {
  let env: PlaneEnv;
  const node = {} as Record<Role, string>;

  beforeAll(async () => {
    env = await startPlaneEnv(plane, { linuxNodes: ROLES.length, operator: false });
    const linux = env.cluster.linuxNodeNames();
    ROLES.forEach((role, i) => (node[role] = linux[i]!));
    await env.startOperator();
    await env.startOperator();
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  });

  const live = () => env.operators.filter((o) => o.process.child.running());
  const leading = (o: PlaneOperator) => o.log().includes('"msg":"leading: reconciling"');
  /** Waits for a live replica to hold the Lease and returns it. */
  async function liveLeader(): Promise<PlaneOperator> {
    let found: PlaneOperator | undefined;
    await env.until(
      async () => (found = await env.leader()) !== undefined,
      'a live replica holding the Lease',
      FAILOVER_MS,
    );
    return found!;
  }

  it(
    'one replica leads and heals a node with one kubelet restart; the other only follows',
    async () => {
      const leader = await liveLeader();
      const n = node.first;
      env.cluster.breakNode(n, 'kubelet-init-race');
      await env.until(
        async () => phaseOf((await env.remediationsOn(n))[0]) === 'Succeeded',
        `${n} remediated`,
        90_000,
      );
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      expect(isUnschedulable(await env.node(n))).toBe(false);
      expect((await env.leader())?.name).toBe(leader.name);
      expect(
        live()
          .filter(leading)
          .map((o) => o.name),
      ).toEqual([leader.name]);
    },
    CASE_MS,
  );

  it(
    'the leader SIGKILLed at each phase of a remediation: the next leader resumes, one kubelet restart, uncordoned',
    async () => {
      const n = node.crashes;
      /** Where each kill landed: the phase that triggered it and the phase the API showed once it was dead. */
      const kills: { phase: Phase; victim: string; phaseAfter?: string }[] = [];
      let pending: Phase | undefined;
      let current: PlaneOperator | undefined = await liveLeader();
      let phaseNow: string | undefined;
      const killLeader = () => {
        if (!pending || !current?.process.child.running()) return;
        // Synchronously, in the watch event's own turn: as close to the status write as a client gets.
        current.process.child.signal('SIGKILL');
        kills.push({ phase: pending, victim: current.name });
        pending = undefined;
      };
      const watch = await watchObjects<NodeRemediation>(env.rest, paths.remediations(), (_type, nr) => {
        if (nr.spec.nodeName !== n) return;
        phaseNow = phaseOf(nr);
        const next = PHASES[kills.length + (pending ? 1 : 0)];
        if (phaseNow === next && pending === undefined) {
          pending = next;
          killLeader();
        }
      });
      try {
        env.cluster.breakNode(n, 'kubelet-init-race');
        for (let k = 0; k < PHASES.length; k++) {
          await env.until(() => kills.length > k, `the leader killed at ${PHASES[k]}`, FAILOVER_MS + 90_000);
          const victim = env.operators.find((o) => o.name === kills[k]!.victim)!;
          await victim.process.child.exited;
          kills[k]!.phaseAfter = phaseOf((await env.remediationsOn(n))[0]);
          // Two replicas again: a fresh one beside the survivor; the survivor takes the Lease once it expires.
          await env.startOperator();
          current = await liveLeader();
          // A phase written just before the kill landed: its kill goes to the next leader, at once.
          killLeader();
        }
        await env.until(
          async () => phaseOf((await env.remediationsOn(n))[0]) === 'Succeeded',
          `${n} remediated after ${PHASES.length} crashes`,
          FAILOVER_MS + 90_000,
        );
      } finally {
        watch.stop();
      }
      process.stdout.write(`${plane}: kills ${JSON.stringify(kills)}\n`);
      expect(kills.map((k) => k.phase)).toEqual(PHASES);
      const nrs = await env.remediationsOn(n);
      expect(nrs.map(phaseOf)).toEqual(['Succeeded']);
      expect(env.cluster.kubeletRestarts(n)).toBe(1);
      const after = await env.node(n);
      expect(isUnschedulable(after)).toBe(false);
      expect(annotationsOf(after)[CORDON_MARKER_ANNOTATION]).toBeUndefined();
      for (const other of env.cluster.linuxNodeNames())
        expect(env.cluster.kubeletRestarts(other)).toBe([node.first, n].includes(other) ? 1 : 0);
    },
    PHASES.length * FAILOVER_MS + 90_000,
  );

  it(
    'the leader stopped (Lease released): the next leader releases a cordon whose NodeRemediation is gone, not someone else’s',
    async () => {
      await env.patchNode(node.stale, {
        annotations: { [CORDON_MARKER_ANNOTATION]: 'gone-remediation' },
        unschedulable: true,
      });
      await env.patchNode(node.othersCordon, { unschedulable: true });
      const old = await liveLeader();
      await old.stop();
      await env.startOperator();
      const next = await liveLeader();
      expect(next.name).not.toBe(old.name);
      await env.until(async () => !isUnschedulable(await env.node(node.stale)), 'the stale cordon released');
      expect(annotationsOf(await env.node(node.stale))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
      expect(isUnschedulable(await env.node(node.othersCordon))).toBe(true);
      // No node is left cordoned but the one someone else cordoned.
      for (const n of env.cluster.nodeNames())
        expect(isUnschedulable(await env.node(n))).toBe(n === node.othersCordon);
    },
    CASE_MS,
  );
});
