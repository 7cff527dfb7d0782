/**
 * decide(observed) -> the next step for ONE node. Pure: no I/O, no clock (observed.now is the time).
 *
 * A NodeRemediation walks:  Pending/Waiting (gate) -> Cordoning -> Remediating -> Verifying -> Uncordoning
 * and ends Succeeded, Skipped or Failed. Each step returns at most one status write (the intent, or the
 * outcome) and at most one effect; the executor writes the status FIRST, then performs the effect, and every
 * effect is idempotent. So a crash between any two steps resumes from the recorded intent: the Job has a
 * deterministic name (one per attempt, never re-created once seen, so never a second kubelet restart in one
 * attempt) and the cordon carries a marker naming its NodeRemediation (never uncordon what we did not cordon).
 *
 * Decisions worth knowing (docs/adr/0001..0003):
 * - Gates that may open later (paused, NotReady, cooldown, storm guard, no free slot) -> Waiting + requeue.
 *   Gates that will not (node gone, not linux, opted out, azure-npm Ready again) -> Skipped. Too many
 *   attempts (per node within the window, or per remediation in total) -> Failed.
 * - Retries: a failed attempt that changed nothing on the node, or whose effect is unknown (Job failed
 *   without a result, unreadable result, ProbeError) goes back to Waiting and retries (a new attempt, after the
 *   cooldown, within maxAttemptsPerNode per attemptWindow), keeping the cordon. RestartFailed,
 *   ChainsStillMissing, a lost Job and a verification timeout are Failed at once: a human must look.
 * - dry-run (policy or spec): no cordon, the Job only probes, the result is recorded, Skipped/DryRun.
 * - Pause stops new attempts and new Jobs; a running Job, verification and uncordoning go on (safe to finish).
 * - A call the API server refuses for good (docs/adr/0008) ends the remediation at once, never retried: the Job
 *   is dry-run before the cordon, so a refused Job cordons nothing; a refusal after the cordon releases it.
 */
import {
  RELEASE_STORM_ANNOTATION,
  isTerminal,
  jobNameFor,
  remediationName,
  type Attempt,
  type Condition,
  type FinalPhase,
  type NodeRemediationStatus,
  type Phase,
  type ProbeReason,
  type ProbeSummary,
  type Trigger,
} from '../api/index.js';
import { resolveMaxUnhealthy } from '../config/policy.js';
import { attemptStarts, lastCompletion, orderActive, phaseOf } from './history.js';
import { buildAgentJob } from './job.js';
import { cordonToRelease } from './sweep.js';
import type {
  Effect,
  JobReport,
  Observed,
  ObservedRemediation,
  RecordedEvent,
  Refusal,
  Step,
} from './types.js';

const PROBE_WHY: Record<ProbeReason, string> = {
  KubeletStarted: 'after kubelet started',
  Rebooted: 'after the node rebooted',
  Rolling: 'the rolling audit',
  Storm: 'explaining a storm',
};

export const REQUEUE = {
  paused: 60_000,
  notReady: 30_000,
  stormGuard: 30_000,
  noSlot: 10_000,
  cordon: 5_000,
  job: 15_000,
  verify: 5_000,
  uncordon: 5_000,
  immediately: 0,
} as const;

const NONE: Effect = { type: 'none' };

export function decide(o: Observed): Step {
  const [primary, ...duplicates] = orderActive(o.remediations);
  const duplicate = duplicates.find((r) => phaseOf(r) === 'Pending' || phaseOf(r) === 'Waiting');
  if (o.refusal) return refused(o, primary, o.refusal);
  if (duplicate && primary) {
    return finalize(o, duplicate, current(duplicate), 'Skipped', 'DuplicateForNode', {
      message: `NodeRemediation ${primary.name} is already active on node ${o.nodeName}; at most one runs per node.`,
    });
  }
  if (!primary) return idle(o);
  switch (phaseOf(primary)) {
    case 'Pending':
    case 'Waiting':
      return gate(o, primary);
    case 'Cordoning':
      return cordoning(o, primary);
    case 'Remediating':
      return remediating(o, primary);
    case 'Verifying':
      return verifying(o, primary);
    case 'Uncordoning':
      return uncordoning(o, primary);
    default:
      return { effect: NONE, events: [] };
  }
}

// ---- no active remediation: open an episode, or release a cordon nobody owns ----

function idle(o: Observed): Step {
  const opened = openEpisode(o, o.detection);
  if (opened) return opened;
  const release = o.node ? cordonToRelease(o.node, o.remediations) : null;
  if (release) {
    return {
      effect: { type: 'uncordon', node: release.node, expectMarker: release.expectMarker },
      requeueAfterMs: REQUEUE.uncordon,
      events: [
        {
          on: 'node',
          type: 'Normal',
          reason: 'StaleCordonReleased',
          message: `Released the cordon of NodeRemediation ${release.expectMarker}, which is gone or finished.`,
        },
      ],
    };
  }
  return { effect: NONE, events: [] };
}

/**
 * A NodeRemediation for what was detected: a confirmed crash loop (named for its pod) or a latent node (named for
 * the probe that found it). An episode that already ended (whatever its outcome) is not reopened: delete it to
 * retry.
 */
function openEpisode(o: Observed, d: Observed['detection']): Step | null {
  if (d.kind !== 'confirmed' && d.kind !== 'latent') return null;
  const name = remediationName(o.nodeName, d.kind === 'confirmed' ? d.podUid : d.probeUid);
  if (o.remediations.some((r) => r.name === name)) return null;
  const [trigger, event]: [Trigger, Pick<RecordedEvent, 'reason' | 'message'>] =
    d.kind === 'confirmed'
      ? [
          {
            source: 'CrashLoop',
            pod: d.podName,
            podUid: d.podUid,
            container: d.container,
            restartCount: d.restartCount,
            signature: d.signature,
            observedAt: d.observedAt,
          },
          {
            reason: 'CrashLoopConfirmed',
            message: `${d.namespace}/${d.podName} crash-loops with "${d.signature}"; created NodeRemediation ${name}.`,
          },
        ]
      : [
          { source: 'Audit', probeJob: d.probeJob, probeReason: d.reason, observedAt: d.observedAt },
          {
            reason: 'LatentNodeFound',
            message:
              `Probe Job ${d.probeJob} (${PROBE_WHY[d.reason]}) found kubelet's iptables chains missing while ` +
              `azure-npm still runs: it would crash-loop at its next start. Created NodeRemediation ${name}.`,
          },
        ];
  return {
    effect: { type: 'createRemediation', name, spec: { nodeName: o.nodeName, trigger } },
    events: [{ on: 'node', type: 'Warning', ...event }],
  };
}

// ---- Pending / Waiting ----

function gate(o: Observed, nr: ObservedRemediation): Step {
  const st = current(nr);
  const node = o.node;
  const p = o.policy;
  if (!node)
    return finalize(o, nr, st, 'Skipped', 'NodeGone', { message: `Node ${o.nodeName} does not exist.` });
  if (node.os !== 'linux') {
    return finalize(o, nr, st, 'Skipped', 'NotLinux', {
      message: `Node ${node.name} is not a linux node (kubernetes.io/os=${node.os ?? 'unset'}); chainmedic never acts on it.`,
    });
  }
  if (node.optOut === 'true') {
    return finalize(o, nr, st, 'Skipped', 'OptedOut', {
      message: `Node ${node.name} has chainmedic.io/opt-out="true"; remove the annotation to allow remediation.`,
    });
  }
  if (nr.spec.trigger.source === 'CrashLoop' && o.targetPod?.ready === true) {
    return finalize(o, nr, st, 'Skipped', 'Recovered', {
      message: `azure-npm pod ${o.targetPod.name} on ${node.name} is Ready again; nothing left to remediate.`,
    });
  }
  const laterProbe = recoveredSinceProbe(o, nr);
  if (laterProbe) return finalize(o, nr, st, 'Skipped', 'Recovered', { message: laterProbe });
  if (p.paused) {
    return wait(o, nr, st, 'Paused', 'The RemediationPolicy is paused (spec.paused).', REQUEUE.paused);
  }
  if (!node.ready) {
    return wait(
      o,
      nr,
      st,
      'NodeNotReady',
      `Node ${node.name} is not Ready; the Job could not run there.`,
      REQUEUE.notReady,
    );
  }
  if (node.operation) {
    return wait(
      o,
      nr,
      st,
      node.operation.reason,
      `Node ${node.name}: ${node.operation.message}. No remediation starts while the cluster operates on the node.`,
      REQUEUE.notReady,
    );
  }
  // Bounded twice: per node within the window, and per remediation in total (so a long cooldown cannot
  // turn retries into an endless, slow loop).
  const recent = attemptStarts(o.remediations).filter((t) => t > o.now - p.attemptWindowMs);
  if (recent.length >= p.maxAttemptsPerNode || (st.attempt ?? 0) >= p.maxAttemptsPerNode) {
    const count = Math.max(recent.length, st.attempt ?? 0);
    return finalize(o, nr, st, 'Failed', 'MaxAttemptsExceeded', {
      message:
        `Node ${node.name} had ${count} remediation attempts (maxAttemptsPerNode ${p.maxAttemptsPerNode} per ` +
        `${p.attemptWindowMs / 1000}s and per remediation); restarting kubelet again is unlikely to help. Check ` +
        `kubelet ("Failed to initialize iptables rules") and iptables.service on the node, then delete this ` +
        `NodeRemediation to try again.`,
    });
  }
  const last = lastCompletion(o.remediations);
  if (last !== undefined && o.now < last + p.cooldownMs) {
    const left = last + p.cooldownMs - o.now;
    const until = iso(last + p.cooldownMs);
    return wait(
      o,
      nr,
      st,
      'Cooldown',
      `Cooling down after the last attempt on this node until ${until}.`,
      left,
    );
  }
  const limit = resolveMaxUnhealthy(p.maxUnhealthy, o.fleet.linuxNodes);
  const storm = o.fleet.storm;
  if (o.fleet.affectedNodes > limit && !storm?.released) {
    const stale = storm?.otherRelease
      ? ` The policy's ${RELEASE_STORM_ANNOTATION} names ${storm.otherRelease}, not this storm.`
      : '';
    const release = storm
      ? `${stale} To let remediation proceed at maxConcurrent until this storm ends: kubectl annotate ` +
        `remediationpolicy default ${RELEASE_STORM_ANNOTATION}=${storm.id} --overwrite`
      : ' Raise maxUnhealthy to proceed';
    return wait(
      o,
      nr,
      st,
      'StormGuard',
      `${o.fleet.affectedNodes} of ${o.fleet.linuxNodes} linux nodes are affected, more than maxUnhealthy (${limit}): ` +
        `a shared cause is not fixed by restarting kubelets everywhere.${storm?.headline ? ` ${storm.headline}` : ''} ` +
        `Investigate the fleet (the policy's status.storm).${release}.`,
      REQUEUE.stormGuard,
    );
  }
  if (o.fleet.activeRemediations >= p.maxConcurrent) {
    return wait(
      o,
      nr,
      st,
      'NoSlot',
      `${o.fleet.activeRemediations} remediation(s) running, maxConcurrent is ${p.maxConcurrent}.`,
      REQUEUE.noSlot,
    );
  }
  return startAttempt(o, nr, st);
}

/** An Audit remediation whose node a later probe found healthy (kubelet restarted again, say): nothing to do. */
function recoveredSinceProbe(o: Observed, nr: ObservedRemediation): string | null {
  const t = nr.spec.trigger;
  const chains = o.node?.chains;
  if (t.source !== 'Audit' || chains?.status !== 'False' || !t.observedAt) return null;
  if (Date.parse(chains.lastHeartbeatTime) <= Date.parse(t.observedAt)) return null;
  return `A later look at ${o.nodeName} found the chains present (${chains.message}); nothing left to remediate.`;
}

function startAttempt(o: Observed, nr: ObservedRemediation, st: NodeRemediationStatus): Step {
  const node = o.node!;
  const attempt = (st.attempt ?? 0) + 1;
  const jobName = jobNameFor(nr.name, attempt);
  const dryRun = o.policy.dryRun || nr.spec.dryRun === true;
  const record: Attempt = { attempt, jobName, startTime: iso(o.now) };
  const started: NodeRemediationStatus = {
    ...st,
    attempt,
    attempts: [...(st.attempts ?? []), record],
    jobName,
    jobSeen: false,
    dryRun,
    agent: undefined,
    verifyStartTime: undefined,
    startTime: st.startTime ?? iso(o.now),
  };
  if (dryRun) {
    return createJob(o, nr, started, {
      reason: 'DryRun',
      message: `Attempt ${attempt} (dry run): probing the chains on ${node.name}; no cordon, no kubelet restart.`,
    });
  }
  const cordonNow = !node.unschedulable;
  return transition(o, nr, started, {
    phase: 'Cordoning',
    reason: 'AttemptStarted',
    message: `Attempt ${attempt}: cordoning node ${node.name} while azure-npm cannot enforce NetworkPolicy there.`,
    effect: cordonNow ? admitThenCordon(o, nr, started) : NONE,
    requeueAfterMs: cordonNow ? REQUEUE.cordon : REQUEUE.immediately,
  });
}

function wait(
  o: Observed,
  nr: ObservedRemediation,
  st: NodeRemediationStatus,
  reason: string,
  message: string,
  requeueAfterMs: number,
): Step {
  return transition(o, nr, st, { phase: 'Waiting', reason, message, requeueAfterMs });
}

// ---- Cordoning ----

function cordoning(o: Observed, nr: ObservedRemediation): Step {
  const st = current(nr);
  const node = o.node;
  const stop = stopBeforeJob(o, nr, st);
  if (stop || !node) return stop ?? { effect: NONE, events: [] };
  if (node.cordonedBy === nr.name) {
    return createJob(
      o,
      nr,
      { ...st, cordonedByUs: true },
      {
        reason: 'Cordoned',
        message: `Node ${node.name} cordoned; running the remediation Job ${st.jobName}.`,
      },
    );
  }
  if (node.unschedulable) {
    // Cordoned by someone else (or by another remediation): leave it exactly as it is, now and at the end.
    return createJob(
      o,
      nr,
      { ...st, wasUnschedulable: true, cordonedByUs: false },
      {
        reason: 'AlreadyUnschedulable',
        message: `Node ${node.name} was already unschedulable${node.cordonedBy ? ` (cordoned by ${node.cordonedBy})` : ''}; it will be left cordoned. Running Job ${st.jobName}.`,
      },
    );
  }
  return { effect: admitThenCordon(o, nr, st), requeueAfterMs: REQUEUE.cordon, events: [] };
}

/** The cordon, once the API server said (dry run) it would admit the Job: a refused Job cordons nothing. */
function admitThenCordon(o: Observed, nr: ObservedRemediation, st: NodeRemediationStatus): Effect {
  return { type: 'cordon', node: o.nodeName, marker: nr.name, admitFirst: agentJob(o, nr, st) };
}

function agentJob(o: Observed, nr: ObservedRemediation, st: NodeRemediationStatus) {
  const p = o.policy;
  return buildAgentJob({
    remediation: { name: nr.name, uid: nr.uid },
    nodeName: o.nodeName,
    attempt: st.attempt ?? 1,
    dryRun: st.dryRun === true,
    namespace: o.jobContext.namespace,
    image: p.job.image ?? o.jobContext.image,
    timeoutSeconds: p.job.timeoutSeconds,
    agentWaitSeconds: p.job.agentWaitSeconds,
    ttlAfterFinishedSeconds: p.job.ttlAfterFinishedSeconds,
  });
}

/**
 * Until the Job exists, the node must still qualify: gone -> Failed, not linux or opted out -> Skipped (our
 * cordon released), paused -> hold where we are.
 */
function stopBeforeJob(o: Observed, nr: ObservedRemediation, st: NodeRemediationStatus): Step | null {
  const node = o.node;
  if (!node) {
    return finalize(o, nr, st, 'Failed', 'NodeGone', {
      message: `Node ${o.nodeName} was deleted during remediation; nothing is left to undo.`,
    });
  }
  if (node.os !== 'linux') {
    return finalize(o, nr, st, 'Skipped', 'NotLinux', { message: `Node ${node.name} is not a linux node.` });
  }
  if (node.optOut === 'true') {
    return finalize(o, nr, st, 'Skipped', 'OptedOut', {
      message: `Node ${node.name} was opted out (chainmedic.io/opt-out="true") before the Job started.`,
    });
  }
  if (o.policy.paused) {
    return hold(o, nr, st, 'Paused', 'The RemediationPolicy is paused; the Job will not be created.');
  }
  return null;
}

/** Stay in the phase with a reason, no effect. */
function hold(
  o: Observed,
  nr: ObservedRemediation,
  st: NodeRemediationStatus,
  reason: string,
  message: string,
): Step {
  return transition(o, nr, st, { phase: phaseOf(nr), reason, message, requeueAfterMs: REQUEUE.paused });
}

/**
 * The last guard before a Job: a node that stopped qualifying is handled as at the gate, a Job that already
 * exists (or was seen) is never created again, and a kubelet-restarting Job only runs on an unschedulable node.
 */
function createJob(
  o: Observed,
  nr: ObservedRemediation,
  st: NodeRemediationStatus,
  why: { reason: string; message: string },
): Step {
  const node = o.node;
  const stop = stopBeforeJob(o, nr, st);
  if (stop || !node) return stop ?? { effect: NONE, events: [] };
  if (st.jobSeen || o.jobs.some((j) => j.name === st.jobName)) {
    return transition(
      o,
      nr,
      { ...st, jobSeen: true },
      {
        phase: 'Remediating',
        reason: st.reason ?? 'JobRunning',
        message: st.message ?? `Job ${st.jobName} exists.`,
        requeueAfterMs: REQUEUE.immediately,
      },
    );
  }
  if (!st.dryRun && !node.unschedulable) {
    // The cordon vanished (someone uncordoned the node): cordon again before anything restarts kubelet.
    return transition(
      o,
      nr,
      { ...st, cordonedByUs: false, wasUnschedulable: false },
      {
        phase: 'Cordoning',
        reason: 'CordonLost',
        message: `Node ${node.name} is schedulable again; cordoning it before running Job ${st.jobName}.`,
        effect: { type: 'cordon', node: node.name, marker: nr.name },
        requeueAfterMs: REQUEUE.cordon,
      },
    );
  }
  return transition(o, nr, st, {
    phase: 'Remediating',
    ...why,
    // Unless our cordon's dry run just admitted it, the pod is dry-run first: the Job controller's own pod creates
    // are refused silently (an Event), and the Job would wait for its deadline (pre-cordoned nodes, dry-run mode).
    effect: { type: 'createJob', job: agentJob(o, nr, st), admitPodFirst: st.cordonedByUs !== true },
    requeueAfterMs: REQUEUE.job,
  });
}

// ---- Remediating ----

function remediating(o: Observed, nr: ObservedRemediation): Step {
  const st = current(nr);
  const job = o.jobs.find((j) => j.name === st.jobName);
  if (!job) {
    if (st.jobSeen) {
      return finalize(o, nr, st, 'Failed', 'JobLost', {
        message:
          `Job ${st.jobName} disappeared before its result was read; it may have restarted kubelet, so it is not ` +
          `re-run. Check the node, then delete this NodeRemediation to try again.`,
      });
    }
    // Intent recorded, Job not seen yet (crash before create, or cache lag): creating again is idempotent.
    return createJob(o, nr, st, {
      reason: st.reason ?? 'JobCreated',
      message: st.message ?? `Running Job ${st.jobName}.`,
    });
  }
  if (job.state === 'running') {
    if (st.jobSeen) return { effect: NONE, requeueAfterMs: REQUEUE.job, events: [] };
    return transition(
      o,
      nr,
      { ...st, jobSeen: true },
      {
        phase: 'Remediating',
        reason: 'JobRunning',
        message: `Job ${job.name} is running on ${o.nodeName}.`,
        requeueAfterMs: REQUEUE.job,
      },
    );
  }
  const seen = { ...st, jobSeen: true };
  if (st.dryRun) return dryRunResult(o, nr, seen, job.report, job.exitCode, job.reportError);
  const report = job.report?.kind === 'remediate' ? job.report : null;
  if (!report) {
    const failed = job.state === 'failed';
    return attemptFailed(o, nr, seen, failed ? 'JobFailed' : 'AgentResultUnreadable', {
      message: failed
        ? `Job ${job.name} failed without a result (${job.reportError ?? 'no termination message'}); see its pod's logs.`
        : `Job ${job.name} finished but its result could not be read: ${job.reportError ?? 'no termination message'}.`,
    });
  }
  const agent = {
    ...(report.before ? { before: report.before } : {}),
    ...(report.after ? { after: report.after } : {}),
    outcome: report.outcome,
    ...(report.cause ? { cause: report.cause } : {}),
    kubeletRestarted: report.kubeletRestarted,
  };
  const withAgent = { ...seen, agent };
  return withProbeWarnings(o, afterReport(o, nr, seen, withAgent, report), report.before);
}

function afterReport(
  o: Observed,
  nr: ObservedRemediation,
  seen: NodeRemediationStatus,
  withAgent: NodeRemediationStatus,
  report: Extract<JobReport, { kind: 'remediate' }>,
): Step {
  switch (report.outcome) {
    case 'Restarted':
      return transition(
        o,
        nr,
        { ...withAgent, verifyStartTime: iso(o.now) },
        {
          phase: 'Verifying',
          reason: 'KubeletRestarted',
          message: `kubelet restarted on ${o.nodeName}; the chains are back${backendText(report.after)}. Verifying azure-npm.`,
          requeueAfterMs: REQUEUE.immediately,
        },
      );
    case 'ChainsPresent':
      if (mayHaveRestartedEarlier(seen)) {
        return transition(
          o,
          nr,
          { ...withAgent, verifyStartTime: iso(o.now) },
          {
            phase: 'Verifying',
            reason: 'ChainsPresentAfterRetry',
            message: `The chains are present; an earlier attempt whose result was lost probably restarted kubelet. Verifying azure-npm.`,
            requeueAfterMs: REQUEUE.immediately,
          },
        );
      }
      return finalize(o, nr, withAgent, 'Skipped', 'ChainsPresent', {
        message:
          `KUBE-IPTABLES-HINT / KUBE-KUBELET-CANARY exist on ${o.nodeName}${backendText(report.before)}, so restarting ` +
          `kubelet cannot help and it was not restarted. azure-npm fails for another reason, most likely an image ` +
          `whose iptables-legacy does not fit the host (azure-npm v1.6.26/v1.6.27): upgrade azure-npm.`,
      });
    case 'ChainsStillMissing':
      return finalize(o, nr, withAgent, 'Failed', 'ChainsStillMissing', {
        message:
          `kubelet was restarted on ${o.nodeName} but the chains did not appear within ${o.policy.job.agentWaitSeconds}s. ` +
          `Check "journalctl -u kubelet" for "Failed to initialize iptables rules" and whether iptables.service keeps ` +
          `restarting; delete this NodeRemediation to try again.`,
      });
    case 'RestartFailed':
      return finalize(o, nr, withAgent, 'Failed', 'RestartFailed', {
        message: `"systemctl restart kubelet.service" failed on ${o.nodeName}; kubelet may be down. Check "systemctl status kubelet" on the node.`,
      });
    case 'ProbeError':
      return attemptFailed(o, nr, withAgent, 'ProbeError', {
        message: `The agent could not run the iptables probes on ${o.nodeName} (binaries missing or timing out); nothing was changed.`,
      });
  }
}

function dryRunResult(
  o: Observed,
  nr: ObservedRemediation,
  st: NodeRemediationStatus,
  report: JobReport | null,
  exitCode: number | null | undefined,
  reportError: string | undefined,
): Step {
  let probe: ProbeSummary | null = report?.kind === 'probe' ? report.probe : null;
  // `agent probe` exits 0 present, 1 missing, 2 error; exit 0 may leave no termination message.
  if (!probe && (exitCode === 0 || exitCode === 1))
    probe = { verdict: exitCode === 0 ? 'present' : 'missing' };
  if (!probe) {
    return attemptFailed(o, nr, st, 'AgentResultUnreadable', {
      message: `The dry-run probe Job ${st.jobName} left no readable result (${reportError ?? 'no termination message'}).`,
    });
  }
  const verdict = {
    present:
      'the chains are present: a real run would not restart kubelet (azure-npm fails for another reason)',
    missing: 'the chains are missing: a real run would cordon the node and restart kubelet',
    error: 'the probe could not check the chains',
  }[probe.verdict];
  const step = finalize(
    o,
    nr,
    { ...st, agent: { before: probe, kubeletRestarted: false } },
    'Skipped',
    'DryRun',
    {
      message: `Dry run on ${o.nodeName}: ${verdict}.`,
    },
  );
  return withProbeWarnings(o, step, probe);
}

/**
 * What the probe saw that a person should know, as Warning Events on the Node, with the step that records it:
 * the agent's iptables and the host's differ in version, or azure-npm's own detection would conclude otherwise.
 */
function withProbeWarnings(o: Observed, step: Step, probe: ProbeSummary | undefined): Step {
  if (!probe || !step.status) return step;
  const events: RecordedEvent[] = [];
  if (probe.iptablesVersionMismatch) {
    events.push({
      on: 'node',
      type: 'Warning',
      reason: 'IptablesVersionMismatch',
      message:
        `The agent's iptables and the host's differ on ${o.nodeName} (${probe.iptablesVersionMismatch}): iptables-nft ` +
        `may read rules written by another version differently. Build the agent image on azure-npm's base.`,
    });
  }
  const npm = probe.azureNpmWouldFind;
  if (npm && npm !== 'unknown' && (npm !== 'none') !== (probe.verdict === 'present')) {
    events.push({
      on: 'node',
      type: 'Warning',
      reason: 'AzureNpmDisagrees',
      message:
        `On ${o.nodeName} the agent's verdict is "${probe.verdict}" but azure-npm's detection, from the same exit ` +
        `codes, would ${npm === 'none' ? 'find no chain and crash-loop' : `pick iptables-${npm}`}.`,
    });
  }
  return { ...step, events: [...step.events, ...events] };
}

function mayHaveRestartedEarlier(st: NodeRemediationStatus): boolean {
  return (st.attempts ?? []).some(
    (a) =>
      a.attempt < (st.attempt ?? 0) && (a.reason === 'JobFailed' || a.reason === 'AgentResultUnreadable'),
  );
}

/** A failed attempt: retry (back to the gate, keeping the cordon) while attempts remain, else Failed. */
function attemptFailed(
  o: Observed,
  nr: ObservedRemediation,
  st: NodeRemediationStatus,
  reason: string,
  detail: { message: string },
): Step {
  const p = o.policy;
  const used = attemptStarts(o.remediations).filter((t) => t > o.now - p.attemptWindowMs).length;
  const ended = endAttempt(st, o.now, reason);
  if (used < p.maxAttemptsPerNode && (st.attempt ?? 0) < p.maxAttemptsPerNode) {
    return transition(o, nr, ended, {
      phase: 'Waiting',
      reason,
      message: `${detail.message} Retrying after the cooldown (attempt ${used + 1} of ${p.maxAttemptsPerNode}).`,
      requeueAfterMs: p.cooldownMs,
    });
  }
  return finalize(o, nr, ended, 'Failed', reason, {
    message: `${detail.message} No attempts left (${used} of ${p.maxAttemptsPerNode} within the window).`,
  });
}

// ---- Verifying ----

function verifying(o: Observed, nr: ObservedRemediation): Step {
  const st = current(nr);
  const node = o.node;
  if (!node) {
    return finalize(o, nr, st, 'Failed', 'NodeGone', {
      message: `Node ${o.nodeName} was deleted during verification.`,
    });
  }
  const crashing = crashingPod(o, nr);
  if (o.policy.deleteCrashingPod && crashing && !st.podDeleted && !st.podDeleteRejected) {
    // Recorded first, deleted once: kubelet's back-off (up to 5 minutes) would otherwise delay the recovery.
    return transition(
      o,
      nr,
      { ...st, podDeleted: crashing.uid },
      {
        phase: 'Verifying',
        reason: 'CrashingPodDeleted',
        message: `Deleting ${o.policy.target.namespace}/${crashing.name} so azure-npm restarts without waiting for its back-off.`,
        effect: { type: 'deletePod', namespace: o.policy.target.namespace, ...crashing },
        requeueAfterMs: REQUEUE.verify,
      },
    );
  }
  const pod = o.targetPod;
  const stale = st.podDeleted !== undefined && pod?.uid === st.podDeleted;
  const missing: string[] = [];
  if (!node.ready) missing.push(`node ${node.name} is not Ready`);
  if (!pod) missing.push('no azure-npm pod on the node');
  else if (stale) missing.push(`azure-npm pod ${pod.name} has not been replaced yet`);
  else if (!pod.ready) missing.push(`azure-npm pod ${pod.name} is not Ready`);
  if (missing.length === 0) {
    return finalize(o, nr, st, 'Succeeded', 'Remediated', {
      message: `kubelet restarted, the chains are present${backendText(st.agent?.after)} and azure-npm pod ${pod!.name} is Ready.`,
    });
  }
  const started = st.verifyStartTime ? Date.parse(st.verifyStartTime) : o.now;
  const left = started + o.policy.verifyTimeoutMs - o.now;
  if (left <= 0) {
    return finalize(o, nr, st, 'Failed', 'VerifyTimeout', {
      message: `Not healthy ${o.policy.verifyTimeoutMs / 1000}s after the kubelet restart: ${missing.join('; ')}. Check the azure-npm pod's logs.`,
    });
  }
  const requeueAfterMs = Math.min(left, REQUEUE.verify);
  if (stale && pod) {
    // Recorded but still there (a crash lost the delete, or it is terminating): the uid precondition makes
    // deleting again safe; it can never hit the replacement pod.
    const effect: Effect = {
      type: 'deletePod',
      namespace: o.policy.target.namespace,
      name: pod.name,
      uid: pod.uid,
    };
    return { effect, requeueAfterMs, events: [] };
  }
  const message = `Waiting: ${missing.join('; ')}.`;
  if (st.reason === 'Verifying' && st.message === message) {
    return { effect: NONE, requeueAfterMs, events: [] };
  }
  return transition(o, nr, st, { phase: 'Verifying', reason: 'Verifying', message, requeueAfterMs });
}

/**
 * The azure-npm pod to delete after the fix: the crash-looping pod that opened the episode; for a latent node,
 * its pod only if it crash-loops by now (it restarted during the remediation and met the missing chains).
 */
function crashingPod(o: Observed, nr: ObservedRemediation): { name: string; uid: string } | null {
  const t = nr.spec.trigger;
  if (t.source === 'CrashLoop' && t.pod && t.podUid) return { name: t.pod, uid: t.podUid };
  const pod = o.targetPod;
  if (t.source === 'Audit' && pod?.crashLooping) return { name: pod.name, uid: pod.uid };
  return null;
}

// ---- a call the API server refused for good ----

/**
 * The previous step's effect or status write was refused (403, 422, ...; docs/adr/0008). Nothing is retried:
 * the remediation ends, and chainmedic's own cordon is released even with onFailure KeepCordoned, since a
 * refused Job never ran on the node. A refused pod deletion only loses the shortcut past kubelet's back-off.
 */
function refused(o: Observed, nr: ObservedRemediation | undefined, r: Refusal): Step {
  // status.message holds 4096 characters; an admission message is rarely long, but it must never fail the write.
  const said = r.message.length > 3000 ? `${r.message.slice(0, 3000)}...` : r.message;
  const answer = `(${r.code} ${r.reason}): ${said}`;
  if (!nr || isTerminal(phaseOf(nr))) {
    // Nothing active to record it on: the Node's Events say it (a NodeRemediation create, a stale cordon).
    const what = r.call === 'createRemediation' ? 'the NodeRemediation' : `the release of a stale cordon`;
    return {
      effect: NONE,
      events: [
        {
          on: 'node',
          type: 'Warning',
          reason: r.call === 'createRemediation' ? 'RemediationRejected' : 'UncordonRejected',
          message: `The API server refused ${what} for node ${o.nodeName} ${answer}`,
        },
      ],
    };
  }
  const st = current(nr);
  const fail = (reason: string, message: string) =>
    finalize(o, nr, st, 'Failed', reason, { message }, { release: true });
  const retry = 'Fix the cause, then delete this NodeRemediation to retry.';
  switch (r.call) {
    case 'admitJob':
    case 'admitPod':
      return fail(
        'JobRejected',
        `The API server refused the remediation Job${r.call === 'admitPod' ? "'s pod" : ''} ${answer}. Nothing ` +
          `ran on node ${o.nodeName} and it was not cordoned. ${retry}`,
      );
    case 'createJob':
      return fail(
        'JobRejected',
        `The API server refused the remediation Job ${answer}. Nothing ran on node ${o.nodeName}` +
          `${o.node?.cordonedBy === nr.name ? '; its cordon is released' : ''}. ${retry}`,
      );
    case 'cordon':
      return fail(
        'CordonRejected',
        `The API server refused the cordon of node ${o.nodeName} ${answer}. ${retry}`,
      );
    case 'uncordon':
      // Refused once, so not asked again now; a later reconcile of the node tries to release it again.
      return complete(
        o,
        nr,
        { ...st, finalPhase: undefined },
        'Failed',
        'UncordonRejected',
        `The API server refused the uncordon of node ${o.nodeName} ${answer}. Run "kubectl uncordon ${o.nodeName}" ` +
          `and remove the chainmedic.io/cordoned-by annotation.` +
          (st.finalPhase && st.finalPhase !== 'Failed'
            ? ` The remediation itself ended ${st.finalPhase}.`
            : ''),
      );
    case 'status':
      return fail('StatusRejected', `The API server refused this NodeRemediation's status ${answer}.`);
    case 'deletePod':
      return transition(
        o,
        nr,
        { ...st, podDeleted: undefined, podDeleteRejected: true },
        {
          phase: phaseOf(nr),
          reason: 'PodDeleteRejected',
          message:
            `The API server refused deleting the crash-looping azure-npm pod ${answer}; waiting for it to restart ` +
            `on kubelet's back-off instead.`,
          requeueAfterMs: REQUEUE.verify,
        },
      );
    case 'createRemediation':
      // An active remediation exists: the create was of another episode; nothing to record on this one.
      return { effect: NONE, events: [] };
  }
}

// ---- Uncordoning, and the end of a remediation ----

function uncordoning(o: Observed, nr: ObservedRemediation): Step {
  const st = current(nr);
  if (o.node && o.node.cordonedBy === nr.name) {
    return {
      effect: { type: 'uncordon', node: o.node.name, expectMarker: nr.name },
      requeueAfterMs: REQUEUE.uncordon,
      events: [],
    };
  }
  // Our marker is gone (released, or removed by someone): never touch the node again.
  return complete(o, nr, st, st.finalPhase ?? 'Succeeded', st.reason ?? 'Completed', st.message ?? '');
}

/**
 * Ends the remediation. Our cordon is released first (through Uncordoning) unless this is a failure and the
 * policy keeps failed nodes cordoned; a node we did not cordon is never uncordoned.
 */
function finalize(
  o: Observed,
  nr: ObservedRemediation,
  st: NodeRemediationStatus,
  final: FinalPhase,
  reason: string,
  detail: { message: string },
  options: { release?: boolean } = {},
): Step {
  const ended = st.attempts?.some((a) => a.attempt === st.attempt && !a.completionTime)
    ? endAttempt(st, o.now, reason)
    : st;
  const ours = o.node !== null && o.node.cordonedBy === nr.name;
  const keep = final === 'Failed' && o.policy.onFailure === 'KeepCordoned' && options.release !== true;
  if (ours && !keep) {
    return transition(
      o,
      nr,
      { ...ended, finalPhase: final },
      {
        phase: 'Uncordoning',
        reason,
        message: detail.message,
        effect: { type: 'uncordon', node: o.nodeName, expectMarker: nr.name },
        requeueAfterMs: REQUEUE.uncordon,
      },
    );
  }
  const message =
    ours && keep
      ? `${detail.message} Node ${o.nodeName} stays cordoned (onFailure: KeepCordoned): after fixing it, run ` +
        `"kubectl uncordon ${o.nodeName}" and remove the chainmedic.io/cordoned-by annotation.`
      : detail.message;
  return complete(o, nr, ended, final, reason, message);
}

function complete(
  o: Observed,
  nr: ObservedRemediation,
  st: NodeRemediationStatus,
  final: FinalPhase,
  reason: string,
  message: string,
): Step {
  const step = transition(
    o,
    nr,
    { ...st, finalPhase: undefined, completionTime: iso(o.now) },
    { phase: final, reason, message },
  );
  step.events.push({
    on: 'node',
    type: final === 'Failed' ? 'Warning' : 'Normal',
    reason: `Remediation${final}`,
    message: `NodeRemediation ${nr.name}: ${reason}: ${message}`,
  });
  return step;
}

// ---- status bookkeeping ----

function current(nr: ObservedRemediation): NodeRemediationStatus {
  return nr.status ?? {};
}

function endAttempt(st: NodeRemediationStatus, now: number, reason: string): NodeRemediationStatus {
  return {
    ...st,
    attempts: (st.attempts ?? []).map((a) =>
      a.attempt === st.attempt && !a.completionTime ? { ...a, completionTime: iso(now), reason } : a,
    ),
  };
}

interface Change {
  phase: Phase;
  reason: string;
  message: string;
  effect?: Effect;
  requeueAfterMs?: number;
}

/** One status write (with conditions, observedGeneration, an event when phase or reason changed) + effect. */
function transition(o: Observed, nr: ObservedRemediation, st: NodeRemediationStatus, change: Change): Step {
  const before = nr.status ?? {};
  const status: NodeRemediationStatus = stripUndefined({
    ...st,
    phase: change.phase,
    reason: change.reason,
    message: change.message,
    ...(nr.generation !== undefined ? { observedGeneration: nr.generation } : {}),
  });
  status.conditions = conditions(before.conditions ?? [], status, o.now, nr.generation);
  const effect = change.effect ?? NONE;
  const requeue = change.requeueAfterMs !== undefined ? { requeueAfterMs: change.requeueAfterMs } : {};
  // Nothing new to say: no write (a reconcile loop must not churn the API server).
  if (canonical(status) === canonical(before)) return { effect, ...requeue, events: [] };
  const events: RecordedEvent[] = [];
  if (before.phase !== change.phase || before.reason !== change.reason) {
    const warning =
      change.phase === 'Failed' || (change.phase === 'Waiting' && change.reason === 'StormGuard');
    events.push({
      on: 'remediation',
      type: warning ? 'Warning' : 'Normal',
      reason: change.reason,
      message: change.message,
    });
  }
  return { status: { name: nr.name, status }, effect, ...requeue, events };
}

/** JSON with sorted keys, to compare statuses regardless of key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function conditions(
  previous: Condition[],
  st: NodeRemediationStatus,
  now: number,
  generation: number | undefined,
): Condition[] {
  const wanted: Omit<Condition, 'lastTransitionTime'>[] = [
    {
      type: 'Completed',
      status: isTerminal(st.phase) ? 'True' : 'False',
      reason: st.reason ?? 'Pending',
      message: st.message ?? '',
    },
    {
      type: 'KubeletRestarted',
      status: st.agent?.kubeletRestarted ? 'True' : 'False',
      reason: st.agent?.kubeletRestarted ? 'AgentRestartedKubelet' : 'NotRestarted',
      message: st.agent?.outcome ? `agent outcome: ${st.agent.outcome}` : '',
    },
  ];
  return wanted.map((c) => {
    const old = previous.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : iso(now);
    return {
      ...c,
      lastTransitionTime,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function backendText(probe: ProbeSummary | undefined): string {
  return probe?.backend ? ` (iptables-${probe.backend})` : '';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
