/**
 * `chainmedic soak`: a simulated cluster (the in-memory control plane in this process, or the real one:
 * kube-apiserver, etcd and the controllers), two operator replicas under leader election as child processes, and
 * for a bounded time: nodes break at random, the memory plane's API server injects faults (5xx, 429, dropped
 * watches, 410, conflicts), replicas are SIGKILLed and restarted, and once the breakage is pushed past
 * maxUnhealthy. Then the chaos stops, the fleet drains, and the invariants are checked. Everything the soak reads
 * or writes in the cluster goes through the API, so the same code runs on both planes; only the simulated hosts
 * (breakage, kubelet restarts) have no API and are reached through the cluster handle.
 */
import { mkdirSync } from 'node:fs';
import { TERMINAL_PHASES, type RemediationPolicySpec } from '../../src/api/index.js';
import { loadKubeConfig } from '../../src/kube/client.js';
import { KubeRest } from '../../src/kube/rest.js';
import { recordApi } from '../bench/api-recorder.js';
import { applyPolicy, installCrds } from '../bench/cluster-setup.js';
import { FleetTimeline, type RemediationTimeline } from '../bench/timeline.js';
import { seededRandom } from '../sim/api/faults.js';
import type { ControlPlaneKind, SimulatedCluster } from '../sim/simulated-cluster.js';
import { startCluster } from '../sim/start-cluster.js';
import { SoakApiView } from './api-view.js';
import { soakFaults, type SoakFaults } from './faults.js';
import { checkInvariants, type InvariantCheck, type SoakNodeFacts } from './invariants.js';
import { Replicas } from './replicas.js';

export interface SoakOptions {
  /** memory (default): the in-memory API server, with its fault rules; real: kube-apiserver and etcd, faults by proxy. */
  controlPlane?: ControlPlaneKind;
  durationMs: number;
  nodes: number;
  seed: number;
  timeScale: number;
  resultsDir: string;
  log: (line: string) => void;
  /** After the chaos, how long the fleet may take to settle. */
  drainTimeoutMs: number;
  maxConcurrent?: number;
  /** Storm guard limit (a node count); default 2% of the nodes, at least 3. */
  maxUnhealthy?: number;
}

export interface SoakCounts {
  broken: { race: number; imageBug: number; storm: number };
  outcomes: Record<string, number>;
  kills: number;
  selfExits: number;
  leaderChanges: number;
  /** Where the API faults came from: the memory plane's fault rules, or the fault proxy on the real plane. */
  faultSource: string;
  /** Whose requests `requests` and the HTTP status counts in `faults` cover. */
  requestScope: string;
  /** The API faults injected, by kind (HTTP statuses as counted over `requestScope`). */
  faults: Record<string, number>;
  requests: number;
}

export interface SoakResult {
  controlPlane: ControlPlaneKind;
  exitCode: number;
  checks: InvariantCheck[];
  counts: SoakCounts;
  elapsedMs: number;
  drained: boolean;
}

const TICK_MS = 250;
const KILL_MEAN_INTERVAL_MS = 45_000;
/** The policy status is published every 10 s, after a failover that can take a lease duration (15 s). */
const STORM_ENGAGE_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const random = seededRandom(o.seed);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const maxConcurrent = o.maxConcurrent ?? 3;
  const limit = o.maxUnhealthy ?? Math.max(3, Math.round(o.nodes * 0.02));
  const startMs = Date.now();
  const logDir = o.resultsDir;
  mkdirSync(logDir, { recursive: true });

  const plane = o.controlPlane ?? 'memory';
  const cluster: SimulatedCluster = await startCluster(plane, {
    linuxNodes: o.nodes,
    windowsNodes: Math.round(o.nodes / 20),
    seed: o.seed,
    timeScale: o.timeScale,
  });
  const timeline = new FleetTimeline({ maxConcurrent });
  timeline.checkStormGuard = false;
  let stopRecorder: (() => Promise<void>) | undefined;
  let faultsToStop: SoakFaults | undefined;
  let replicasToStop: Replicas | undefined;
  try {
    const faults = await soakFaults(cluster, logDir);
    faultsToStop = faults;
    const replicas = new Replicas({ count: 2, kubeconfig: faults.kubeconfig, logDir });
    replicasToStop = replicas;
    const rest = new KubeRest(loadKubeConfig(cluster.kubeconfigPath));
    await installCrds(rest);
    const spec: RemediationPolicySpec = { maxConcurrent, maxUnhealthy: limit };
    await applyPolicy(rest, spec);
    const view = new SoakApiView(rest);
    stopRecorder = await recordApi(rest, timeline);

    o.log(
      `soak on the ${plane} control plane: ${o.nodes} linux nodes, ${Math.round(o.durationMs / 1000)} s of chaos, ` +
        `seed ${o.seed}, maxConcurrent ${maxConcurrent}, maxUnhealthy ${limit}, 2 replicas (logs in ${logDir}); ` +
        `API faults from ${faults.source}`,
    );
    await replicas.startAll();
    const deadline = Date.now() + 60_000;
    while (replicas.slotOfPid(await view.refreshLeader()) === undefined) {
      if (Date.now() > deadline) throw new Error(`no replica became leader within 60 s; see ${logDir}`);
      await sleep(100);
    }

    // The chaos clock starts once a replica leads (start-up is not chaos time).
    const chaosStartMs = Date.now();
    faults.start(o.seed);
    const oneShots = { forcedGone: 0, conflicts: 0, droppedWatches: 0 };

    const brokeAs = new Map<string, 'kubelet-init-race' | 'npm-image-bug'>();
    // The storm's nodes are kept out of the random breakage, which breaks each node once: on a small fleet it
    // would otherwise leave too few healthy nodes for a storm past maxUnhealthy.
    const stormReserve = new Set(
      cluster
        .linuxNodeNames()
        .filter((n) => !cluster.brokenNodes().some((b) => b.node === n))
        .slice(-(limit + 3)),
    );
    const stormNodes = new Set<string>();
    const repaired = new Set<string>();
    const restartAt = new Map<number, number>();
    let lastLeader = view.leaderPid;
    let leaderChanges = 0;
    const state: { storm: 'before' | 'waiting' | 'holding' | 'raised' } = { storm: 'before' };
    let stormStartMs = 0;
    let stormEngaged = false;
    let lastProgress = 0;

    const settled = (node: string): boolean => {
      const cause = brokeAs.get(node);
      const latest = timeline
        .remediationsOf(node)
        .filter((r) => !r.deleted)
        .sort((a, b) => a.createdMs - b.createdMs)
        .at(-1);
      const brokenNow = cluster.brokenNodes().some((b) => b.node === node);
      if (cause === 'kubelet-init-race') return !brokenNow || latest?.phase === 'Failed';
      return latest !== undefined && TERMINAL_PHASES.includes(latest.phase);
    };
    const unsettled = () => [...brokeAs.keys()].filter((n) => !settled(n));

    const tick = async (chaos: boolean) => {
      const now = Date.now();
      // Leader changes, seen through the Lease.
      const leader = await view.refreshLeader();
      if (leader !== lastLeader) {
        if (leader !== undefined) leaderChanges++;
        lastLeader = leader;
      }
      // An admin upgrades azure-npm where chainmedic said the chains are present (so it stops counting as
      // affected), as the Skipped message asks.
      for (const [node, cause] of brokeAs) {
        if (cause !== 'npm-image-bug' || repaired.has(node) || !settled(node)) continue;
        cluster.repairNpmImage(node);
        repaired.add(node);
      }
      // Restart killed replicas (as their Deployment would), and any that exited by themselves.
      for (let slot = 0; slot < replicas.size; slot++) {
        if (replicas.running(slot)) continue;
        const at = restartAt.get(slot) ?? now;
        if (!chaos || now >= at) {
          restartAt.delete(slot);
          await replicas.start(slot);
        }
      }
      // The storm runs its course even if the chaos window ends first.
      const healthyLinux = () => {
        const broken = new Set(cluster.brokenNodes().map((b) => b.node));
        return cluster.linuxNodeNames().filter((n) => !brokeAs.has(n) && !broken.has(n));
      };
      const elapsed = now - chaosStartMs;
      if (state.storm === 'before' && chaos && elapsed >= o.durationMs * 0.35) {
        for (const node of healthyLinux().filter((n) => stormReserve.has(n))) {
          brokeAs.set(node, 'kubelet-init-race');
          stormNodes.add(node);
          cluster.breakNode(node, 'kubelet-init-race');
        }
        state.storm = 'waiting';
        stormStartMs = now;
        o.log(
          `  storm: ${stormNodes.size} nodes broke at once (maxUnhealthy ${limit}); no kills until it is over`,
        );
      } else if (state.storm === 'waiting' && timeline.stormGuard.active) {
        stormEngaged = true;
        timeline.checkStormGuard = true;
        state.storm = 'holding';
        stormStartMs = now;
        o.log('  storm guard engaged (published on the RemediationPolicy); holding 3 s');
      } else if (
        (state.storm === 'waiting' && now - stormStartMs > STORM_ENGAGE_TIMEOUT_MS) ||
        (state.storm === 'holding' && now - stormStartMs > 3_000)
      ) {
        timeline.checkStormGuard = false;
        await view.setMaxUnhealthy(o.nodes);
        state.storm = 'raised';
        o.log(`  storm: maxUnhealthy raised to ${o.nodes} so the storm nodes heal`);
      }
      const stormOn = state.storm === 'waiting' || state.storm === 'holding';
      if (!chaos) return;

      // Random breakage, kept under the storm guard's limit (the storm comes on purpose, once).
      const perTick = (meanMs: number) => random() < TICK_MS / meanMs;
      if (!stormOn && perTick(1_500) && unsettled().length < limit - 1) {
        const node = pick(healthyLinux().filter((n) => !stormReserve.has(n)));
        if (node) {
          const cause = random() < 0.15 ? 'npm-image-bug' : 'kubelet-init-race';
          brokeAs.set(node, cause);
          cluster.breakNode(node, cause);
        }
      }
      // Operator kills: usually the leader, sometimes both replicas at once. A kill costs a failover (the lease
      // must expire: 15 s), so they come about two lease durations apart, only when both replicas run (but for
      // the deliberate kill of both), and the leader is always killed once early on.
      const bothRunning = replicas.running(0) && replicas.running(1);
      const firstKill = replicas.kills === 0 && elapsed >= o.durationMs * 0.15;
      if (!stormOn && bothRunning && (firstKill || perTick(KILL_MEAN_INTERVAL_MS))) {
        const leaderSlot = replicas.slotOfPid(view.leaderPid);
        const both = !firstKill && random() < 0.1;
        const slots = both
          ? [0, 1]
          : [
              leaderSlot !== undefined && (firstKill || random() < 0.7)
                ? leaderSlot
                : Math.floor(random() * 2),
            ];
        for (const slot of slots) {
          await replicas.kill(slot);
          restartAt.set(slot, now + 500 + random() * 2_500);
        }
      }
      // One-shot API faults.
      if (perTick(3_000)) {
        faults.forceGoneOnNextWatch(pick(['nodes', 'pods', 'noderemediations', 'jobs'])!);
        oneShots.forcedGone++;
      }
      if (perTick(2_000)) {
        faults.conflictOnNextWrite(pick(['noderemediations', 'nodes'])!);
        oneShots.conflicts++;
      }
      if (perTick(5_000)) oneShots.droppedWatches += faults.dropActiveWatches(random() < 0.5);

      if (now - lastProgress >= 5_000) {
        lastProgress = now;
        const active = [...timeline.remediations.values()].filter(
          (r) => !TERMINAL_PHASES.includes(r.phase),
        ).length;
        o.log(
          `  +${Math.round(elapsed / 1000)}s broken ${brokeAs.size} (unsettled ${unsettled().length}), ` +
            `active remediations ${active}, kills ${replicas.kills}, leader changes ${leaderChanges}`,
        );
      }
    };

    const chaosEnd = chaosStartMs + o.durationMs;
    while (Date.now() < chaosEnd) {
      await tick(true);
      await sleep(TICK_MS);
    }
    faults.clear();
    o.log(
      `chaos over after ${Math.round((Date.now() - chaosStartMs) / 1000)} s; draining (${unsettled().length} unsettled)...`,
    );
    const drainEnd = Date.now() + o.drainTimeoutMs;
    let drained = false;
    while (Date.now() < drainEnd) {
      await tick(false);
      const active = [...timeline.remediations.values()].some(
        (r) => !r.deleted && !TERMINAL_PHASES.includes(r.phase),
      );
      if (unsettled().length === 0 && !active && (state.storm === 'raised' || state.storm === 'before')) {
        drained = true;
        break;
      }
      await sleep(TICK_MS);
    }
    // A late misstep (a second restart, a cordon left behind) must still be seen.
    await sleep(1_000);

    const answers = faults.statuses();
    const facts: SoakNodeFacts[] = cluster.linuxNodeNames().map((node) => {
      const t = timeline.nodes.get(node);
      return {
        node,
        brokeAs: brokeAs.get(node) ?? null,
        brokenNow: cluster.brokenNodes().find((b) => b.node === node)?.cause ?? null,
        kubeletRestarts: cluster.kubeletRestarts(node),
        remediations: timeline.remediationsOf(node),
        unschedulable: t?.unschedulable ?? false,
        cordonedBy: t?.cordonedBy,
      };
    });
    const checks = checkInvariants({
      nodes: facts,
      maxConcurrent,
      maxSlotsInUse: timeline.maxSlotsInUse,
      concurrencyViolations: timeline.violations.filter((v) => v.kind === 'maxConcurrent'),
      storm: {
        triggered: stormNodes.size > 0,
        engaged: stormEngaged,
        violations: timeline.violations.filter((v) => v.kind === 'stormGuard'),
      },
    });
    if (!drained) {
      checks.push({
        name: 'the fleet settled after the chaos',
        ok: false,
        checked: 1,
        failures: [
          `${unsettled().length} broken node(s) unsettled after ${o.drainTimeoutMs / 1000} s: ${unsettled().slice(0, 5).join(', ')}`,
          // What the API says of each (whose side a stuck node is on: the kubelet's Ready, its Lease).
          ...(await Promise.all(
            unsettled()
              .slice(0, 5)
              .map((n) => view.describeNode(n)),
          )),
        ],
      });
    }
    const outcomes: Record<string, number> = {};
    for (const r of timeline.remediations.values()) {
      const key = outcomeKey(r);
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    const counts: SoakCounts = {
      broken: {
        race: [...brokeAs.values()].filter((c) => c === 'kubelet-init-race').length - stormNodes.size,
        imageBug: [...brokeAs.values()].filter((c) => c === 'npm-image-bug').length,
        storm: stormNodes.size,
      },
      outcomes,
      kills: replicas.kills,
      selfExits: replicas.selfExits.length,
      leaderChanges,
      faultSource: faults.source,
      requestScope: answers.scope,
      faults: {
        'HTTP 500': answers.byCode(500),
        'HTTP 503': answers.byCode(503),
        'HTTP 429': answers.byCode(429),
        'HTTP 409 (conflicts and AlreadyExists)': answers.byCode(409),
        '410 Gone forced on a watch': oneShots.forcedGone,
        'conflicts forced on a write': oneShots.conflicts,
        'watches dropped on demand': oneShots.droppedWatches,
        ...faults.met(),
      },
      requests: answers.requests,
    };
    return {
      controlPlane: plane,
      exitCode: checks.every((c) => c.ok) ? 0 : 1,
      checks,
      counts,
      elapsedMs: Date.now() - startMs,
      drained,
    };
  } finally {
    await replicasToStop?.stopAll();
    await stopRecorder?.();
    await faultsToStop?.stop();
    await cluster.stop();
  }
}

function outcomeKey(r: RemediationTimeline): string {
  return `${r.phase}${r.reason ? `/${r.reason}` : ''}`;
}

export function renderSoak(result: SoakResult): string[] {
  const c = result.counts;
  const lines = [
    '',
    `soak on the ${result.controlPlane} control plane finished in ${Math.round(result.elapsedMs / 1000)} s: ` +
      `${c.requests} API requests (${c.requestScope})`,
    `  nodes broken: ${c.broken.race} by the kubelet init race, ${c.broken.imageBug} by the azure-npm image bug, ` +
      `${c.broken.storm} at once in the storm`,
    `  remediations: ${
      Object.entries(c.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    `  operator replicas SIGKILLed: ${c.kills}; exited by themselves: ${c.selfExits}; leader changes: ${c.leaderChanges}`,
    `  faults injected by ${c.faultSource} (all survived unless an invariant below fails):`,
    ...Object.entries(c.faults).map(([k, v]) => `    ${k}: ${v}`),
    '',
    'invariants:',
  ];
  for (const check of result.checks) {
    lines.push(`  ${check.ok ? 'PASS' : 'FAIL'}  ${check.name}`);
    for (const f of check.failures.slice(0, 10)) lines.push(`          - ${f}`);
    if (check.failures.length > 10) lines.push(`          ... and ${check.failures.length - 10} more`);
  }
  const failed = result.checks.filter((ch) => !ch.ok).length;
  lines.push(failed === 0 ? 'All invariants held.' : `${failed} invariant(s) violated.`);
  return lines;
}
