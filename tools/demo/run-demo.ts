/**
 * `chainmedic demo`: a small simulated cluster in this process, the operator as a child process over its
 * kubeconfig (logs to a file), nodes broken in every way that matters, a live view, then a verdict per node.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RemediationPolicySpec } from '../../src/api/index.js';
import { applyPolicy, installCrds, patchNode } from '../bench/cluster-setup.js';
import { startOperatorProcess, type OperatorProcess } from '../bench/operator-process.js';
import { recordApi } from '../bench/api-recorder.js';
import { KubeRest } from '../../src/kube/rest.js';
import { loadKubeConfig } from '../../src/kube/client.js';
import { startCluster } from '../sim/start-cluster.js';
import type { ControlPlaneKind, SimulatedCluster } from '../sim/simulated-cluster.js';
import { isSettled, judge, type DemoNodeFacts, type DemoVerdict } from './expectations.js';
import { breakOf, planDemoFleet, type DemoNode } from './fleet.js';
import {
  DemoTimeline,
  describeConditionChange,
  describeTrigger,
  latentStory,
  type NpmSeen,
} from './latent.js';
import { nextSettleState } from './settle.js';
import { renderSummary } from './summary.js';
import { LiveBlock, useColor, type Output } from './terminal.js';
import {
  ANSI_STYLE,
  PLAIN_STYLE,
  buildRows,
  describeChange,
  fitTable,
  renderTable,
  seconds,
} from './view.js';

export interface DemoOptions {
  out: Output;
  /** Leave the cluster and the operator running until SIGINT/SIGTERM. */
  keep?: boolean;
  timeScale?: number;
  /** Give up (and fail) when the fleet has not settled by then. */
  timeoutMs?: number;
  /** Merged over DEMO_POLICY (e.g. `{ paused: true }`: a fleet that cannot settle, to show the time-out). */
  policy?: RemediationPolicySpec;
  resultsDir?: string;
  linuxNodes?: number;
  windowsNodes?: number;
  seed?: number;
  /** The in-memory API server (default; needs nothing but Node) or the real control plane (`make control-plane`). */
  controlPlane?: ControlPlaneKind;
  /** Resolves when a --keep demo should end (default: SIGINT or SIGTERM). */
  keepUntil?: () => Promise<void>;
}

export interface DemoResult {
  exitCode: number;
  verdicts: DemoVerdict[];
  /** Nodes still in progress when the demo gave up (empty unless it timed out or the operator died). */
  unsettled: string[];
  elapsedMs: number;
  timedOut: boolean;
}

export const DEMO_DEFAULTS = {
  timeScale: 1,
  timeoutMs: 100_000,
  linuxNodes: 8,
  windowsNodes: 2,
  seed: 7,
  controlPlane: 'memory' as ControlPlaneKind,
  resultsDir: join('results', 'demo'),
};

/**
 * The demo's policy: more than one at a time, a storm guard that the demo's broken nodes do not trip, and
 * the probe after a kubelet start 3 s after it (default 2m), so the latent node is found while you watch.
 */
export const DEMO_POLICY: RemediationPolicySpec = {
  maxConcurrent: 2,
  maxUnhealthy: '75%',
  audit: { afterKubeletStart: '3s' },
};

/** After the last node settles, watch this much longer so a late misstep (a second restart) is still caught. */
const SETTLE_GRACE_MS = 1_500;
const FRAME_MS = 150;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const o = { ...DEMO_DEFAULTS, ...options };
  const out = options.out;
  const tty = out.isTTY === true;
  const style = useColor(out) ? ANSI_STYLE : PLAIN_STYLE;
  const print = (line = '') => out.write(`${line}\n`);
  mkdirSync(o.resultsDir, { recursive: true });
  const policy: RemediationPolicySpec = { ...DEMO_POLICY, ...options.policy };
  const operatorLog = join(o.resultsDir, 'operator.log');
  writeFileSync(operatorLog, '');
  const startMs = Date.now();

  print(style.bold('chainmedic demo'));
  print(
    `A simulated AKS cluster (${o.linuxNodes} linux + ${o.windowsNodes} windows nodes, simulated time x${o.timeScale}) ` +
      `${o.controlPlane === 'real' ? 'on a real kube-apiserver, etcd and controllers ' : ''}` +
      `and the operator, logging to ${operatorLog}.`,
  );

  let cluster: SimulatedCluster | undefined;
  let operator: OperatorProcess | undefined;
  let stopRecorder: (() => Promise<void>) | undefined;
  try {
    cluster = await startCluster(o.controlPlane, {
      linuxNodes: o.linuxNodes,
      windowsNodes: o.windowsNodes,
      seed: o.seed,
      timeScale: o.timeScale,
    });
    const rest = new KubeRest(loadKubeConfig(cluster.kubeconfigPath));
    await installCrds(rest);
    await applyPolicy(rest, policy);
    const fleet = planDemoFleet(cluster.linuxNodeNames(), cluster.windowsNodeNames());
    const timeline = new DemoTimeline({ maxConcurrent: policy.maxConcurrent });
    stopRecorder = await recordApi(rest, timeline);
    for (const node of fleet) {
      if (node.role === 'opted-out')
        await patchNode(rest, node.name, { annotations: { 'chainmedic.io/opt-out': 'true' } });
      if (node.role === 'pre-cordoned') await patchNode(rest, node.name, { unschedulable: true });
    }

    operator = await startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, logFile: operatorLog });
    let readyMs: number;
    try {
      readyMs = await operator.waitReady(60_000);
    } catch (err) {
      print(style.red(`The operator did not start: ${(err as Error).message}`));
      print(logTail(operatorLog));
      return { exitCode: 1, verdicts: [], unsettled: [], elapsedMs: Date.now() - startMs, timedOut: false };
    }
    const afterStart = policy.audit?.afterKubeletStart;
    print(
      `Operator ready after ${seconds(readyMs)}; breaking nodes now (policy: maxConcurrent ${policy.maxConcurrent}` +
        `${afterStart ? `, probe ${afterStart} after a kubelet start` : ''}${policy.paused ? ', paused' : ''}).`,
    );
    const latent = fleet.filter((n) => breakOf(n.role)?.latent);
    for (const node of latent)
      print(
        style.dim(
          `${node.name}: kubelet restarts and loses the iptables race, but azure-npm keeps running (latent).`,
        ),
      );
    print('');
    const breakMs = Date.now();
    const npmAtBreak = new Map<string, NpmSeen>();
    for (const node of fleet) {
      const how = breakOf(node.role);
      if (!how) continue;
      const npm = timeline.latent.npm.get(node.name);
      if (npm) npmAtBreak.set(node.name, { ...npm });
      cluster.breakNode(node.name, how.cause, how.latent ? { latent: true } : undefined);
    }

    const result = await watchUntilSettled({
      cluster,
      operator,
      fleet,
      timeline,
      out,
      tty,
      style,
      startMs: breakMs,
      timeoutMs: o.timeoutMs,
      npmAtBreak,
    });
    print('');
    const summary = renderSummary(
      {
        nodes: fleet,
        timeline,
        verdicts: result.verdicts,
        kubeletRestarts: (n) => cluster!.kubeletRestarts(n),
        elapsedMs: result.elapsedMs,
        timedOut: result.timedOut,
        unsettled: result.unsettled,
        operatorExited: result.operatorExited,
        operatorLog,
        latentStory: (node, remediation) =>
          latentStory(timeline.latent, node, remediation, breakMs, npmAtBreak.get(node)),
      },
      style,
    );
    for (const line of summary) print(line);
    if (result.operatorExited) {
      print(style.red('The operator exited during the demo; the end of its log:'));
      print(logTail(operatorLog));
    }
    const ok = result.verdicts.every((v) => v.ok) && !result.timedOut && !result.operatorExited;

    if (o.keep) {
      print('');
      print(style.bold('The cluster and the operator keep running (Ctrl-C to stop). Explore:'));
      print(`  kubectl --kubeconfig ${cluster.kubeconfigPath} get nrem`);
      print(`  kubectl --kubeconfig ${cluster.kubeconfigPath} describe nrem`);
      print(`  kubectl --kubeconfig ${cluster.kubeconfigPath} get nodes,pods -n kube-system -o wide`);
      print(`  tail -f ${operatorLog}`);
      if (o.controlPlane === 'real')
        print(
          `  (the API server is on loopback in this process's network namespace: nsenter --net=/proc/${process.pid}/ns/net kubectl ...)`,
        );
      await (options.keepUntil ?? untilSignal)();
    } else {
      print(
        style.dim(
          'Run `make demo ARGS=--keep` (or `chainmedic-dev demo --keep`) to explore the cluster with kubectl afterwards.',
        ),
      );
    }
    return {
      exitCode: ok ? 0 : 1,
      verdicts: result.verdicts,
      unsettled: result.unsettled,
      elapsedMs: result.elapsedMs,
      timedOut: result.timedOut,
    };
  } finally {
    await operator?.child.stop(5_000);
    await stopRecorder?.();
    await cluster?.stop();
  }
}

interface WatchInput {
  cluster: SimulatedCluster;
  operator: OperatorProcess;
  fleet: DemoNode[];
  timeline: DemoTimeline;
  out: Output;
  tty: boolean;
  style: typeof ANSI_STYLE;
  startMs: number;
  timeoutMs: number;
  /** The azure-npm pods of the broken nodes when they were broken. */
  npmAtBreak: ReadonlyMap<string, NpmSeen>;
}

/** Shows progress until every node settled (plus a grace period), the time is up, or the operator died. */
async function watchUntilSettled(input: WatchInput): Promise<{
  verdicts: DemoVerdict[];
  /** Nodes still in progress when the watch ended (empty once the fleet settled). */
  unsettled: string[];
  elapsedMs: number;
  timedOut: boolean;
  operatorExited: boolean;
}> {
  const { cluster, fleet, timeline, out, style, startMs } = input;
  const facts = (node: DemoNode): DemoNodeFacts => ({
    node: node.name,
    role: node.role,
    remediations: timeline.remediationsOf(node.name),
    kubeletRestarts: cluster.kubeletRestarts(node.name),
    brokenCause: cluster.brokenNodes().find((b) => b.node === node.name)?.cause ?? null,
    timeline: timeline.nodes.get(node.name),
    sources: Object.fromEntries(
      timeline.remediationsOf(node.name).map((r) => [r.name, timeline.latent.triggers.get(r.name)?.source]),
    ),
    npmAtBreak: input.npmAtBreak.get(node.name),
    npmNow: timeline.latent.npm.get(node.name),
  });
  const chainsCondition = (node: string) => timeline.latent.conditions.get(node)?.at(-1)?.status;
  const npmReady = (node: string) => timeline.latent.npm.get(node)?.ready;
  const verdicts = new Map<string, DemoVerdict>();
  const block = input.tty ? new LiveBlock(out) : undefined;
  const phases = new Map<string, string>();
  const draw = () => {
    const rows = buildRows({
      nodes: fleet,
      timeline,
      kubeletRestarts: (n) => cluster.kubeletRestarts(n),
      verdicts,
      nowMs: Date.now(),
      chainsCondition,
      npmReady,
    });
    const status =
      `  ${seconds(Date.now() - startMs)} since the nodes broke; ${verdicts.size}/${fleet.length} nodes settled; ` +
      `remediations holding a slot: ${timeline.slots()}`;
    block?.draw([...fitTable(rows, style, out.columns), style.dim(status)]);
  };
  if (!block) {
    timeline.onChange((change) => {
      const line = describeChange(
        change,
        timeline,
        startMs,
        (name) => phases.get(name),
        (name) => describeTrigger(timeline.latent, name),
      );
      if (change.remediation) {
        const nr = timeline.remediations.get(change.remediation);
        if (nr) phases.set(nr.name, nr.phase);
      }
      if (line) out.write(`${line}\n`);
    });
    timeline.latent.onChange((change) => {
      const npmRunning = (timeline.nodes.get(change.node)?.npmPod?.ready ?? npmReady(change.node)) === true;
      const line = describeConditionChange(change, startMs, npmRunning);
      if (line) out.write(`${line}\n`);
    });
  }

  let settledSince: number | undefined;
  let unsettled: string[] = [];
  let timedOut = false;
  try {
    for (;;) {
      const now = Date.now();
      verdicts.clear();
      unsettled = [];
      for (const node of fleet) {
        const f = facts(node);
        if (isSettled(f)) verdicts.set(node.name, judge(f));
        else unsettled.push(node.name);
      }
      draw();
      if (!input.operator.child.running()) break;
      const state = nextSettleState({
        unsettled,
        settledSinceMs: settledSince,
        nowMs: now,
        startMs,
        timeoutMs: input.timeoutMs,
        graceMs: SETTLE_GRACE_MS,
      });
      if (state.kind === 'timedOut') {
        timedOut = true;
        break;
      }
      settledSince = state.settledSinceMs;
      if (state.kind === 'settled') break;
      await sleep(FRAME_MS);
    }
  } finally {
    block?.release();
  }
  const final = fleet.map((node) => judge(facts(node)));
  if (!block) {
    // Logs get the final table once.
    const judged = new Map(final.map((v) => [v.node, v]));
    const rows = buildRows({
      nodes: fleet,
      timeline,
      kubeletRestarts: (n) => cluster.kubeletRestarts(n),
      verdicts: judged,
      nowMs: Date.now(),
      chainsCondition,
      npmReady,
    });
    out.write(`\n${renderTable(rows, style).join('\n')}\n`);
  }
  return {
    verdicts: final,
    unsettled,
    elapsedMs: (settledSince ?? Date.now()) - startMs,
    timedOut,
    operatorExited: !input.operator.child.running(),
  };
}
