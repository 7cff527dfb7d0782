/**
 * Did each demo node end the way it should? Pure: facts about a node in, a verdict with reasons out.
 */
import { TERMINAL_PHASES } from '../../src/api/index.js';
import type { NodeTimeline, RemediationTimeline } from '../bench/timeline.js';
import { ROLE_EXPECTATION, type DemoRole } from './fleet.js';

export interface DemoNodeFacts {
  node: string;
  role: DemoRole;
  remediations: readonly RemediationTimeline[];
  /** `systemctl restart kubelet` runs on the node, by the agent. */
  kubeletRestarts: number;
  /** The sim's view: the node is still broken by this cause (null: healthy). */
  brokenCause: string | null;
  timeline: NodeTimeline | undefined;
  /** What opened each NodeRemediation (spec.trigger.source), by name, where known. */
  sources?: Readonly<Record<string, string | undefined>>;
  /** The node's azure-npm pod (uid, restartCount) when it was broken, and now. */
  npmAtBreak?: { uid: string; restartCount: number };
  npmNow?: { uid: string; restartCount: number };
}

export interface DemoVerdict {
  node: string;
  role: DemoRole;
  ok: boolean;
  expected: string;
  problems: string[];
}

const terminal = (r: RemediationTimeline): boolean => TERMINAL_PHASES.includes(r.phase);

/** True once the node is where it can be judged: every remediation it needs has finished. */
export function isSettled(facts: DemoNodeFacts): boolean {
  const live = facts.remediations.filter((r) => !r.deleted);
  switch (facts.role) {
    case 'race':
    case 'npm-image-bug':
    case 'pre-cordoned':
    case 'latent':
      return live.length > 0 && live.every(terminal);
    default:
      return live.every(terminal);
  }
}

function describe(r: RemediationTimeline): string {
  return `${r.name} is ${r.phase}${r.reason ? ` (${r.reason})` : ''}`;
}

export function judge(facts: DemoNodeFacts): DemoVerdict {
  const problems: string[] = [];
  const live = facts.remediations.filter((r) => !r.deleted);
  const node = facts.timeline;
  const restarts = (n: number) => {
    if (facts.kubeletRestarts !== n)
      problems.push(`kubelet was restarted ${facts.kubeletRestarts} time(s), expected ${n}`);
  };
  const oneRemediation = (phase: string, reason?: string) => {
    if (live.length !== 1) {
      problems.push(`expected exactly one NodeRemediation, found ${live.length}`);
      return;
    }
    const r = live[0]!;
    if (r.phase !== phase || (reason !== undefined && r.reason !== reason))
      problems.push(`${describe(r)}, expected ${phase}${reason ? ` (${reason})` : ''}`);
  };
  const noRemediationBeyond = (allowedReason: string | null) => {
    for (const r of live) {
      if (allowedReason !== null && r.phase === 'Skipped' && r.reason === allowedReason) continue;
      problems.push(`unexpected NodeRemediation: ${describe(r)}`);
    }
  };
  const neverCordoned = () => {
    if (node?.everMarked || node?.everCordonedWhileWatched) problems.push('the node was cordoned');
    if (node?.unschedulable) problems.push('the node is unschedulable');
  };
  const releasedByUs = () => {
    if (node?.unschedulable) problems.push('the node was left cordoned');
    if (node?.cordonedBy) problems.push(`the cordon marker is still there (${node.cordonedBy})`);
  };

  switch (facts.role) {
    case 'race':
      oneRemediation('Succeeded');
      restarts(1);
      releasedByUs();
      if (facts.brokenCause !== null) problems.push(`the node is still broken (${facts.brokenCause})`);
      break;
    case 'npm-image-bug':
      oneRemediation('Skipped', 'ChainsPresent');
      restarts(0);
      releasedByUs();
      break;
    case 'pre-cordoned':
      oneRemediation('Succeeded');
      restarts(1);
      if (!node?.unschedulable) problems.push('the admin cordon was removed');
      if (node?.cordonedBy) problems.push(`chainmedic's cordon marker is on the node (${node.cordonedBy})`);
      if (live[0] && live[0].wasUnschedulable !== true)
        problems.push('status.wasUnschedulable is not true: the earlier cordon was not recorded');
      if (facts.brokenCause !== null) problems.push(`the node is still broken (${facts.brokenCause})`);
      break;
    case 'latent': {
      oneRemediation('Succeeded');
      const r = live.length === 1 ? live[0]! : undefined;
      const source = r ? facts.sources?.[r.name] : undefined;
      if (r && source !== 'Audit')
        problems.push(`${r.name} was opened by ${source ?? 'an unknown trigger'}, expected Audit`);
      restarts(1);
      releasedByUs();
      const before = facts.npmAtBreak;
      const now = facts.npmNow;
      if (!before || !now) problems.push('azure-npm was not seen on the node');
      else if (now.uid !== before.uid) problems.push('azure-npm was replaced by a new pod');
      else if (now.restartCount !== before.restartCount)
        problems.push(`azure-npm restarted (restartCount ${before.restartCount} -> ${now.restartCount})`);
      if (facts.brokenCause !== null) problems.push(`the node is still broken (${facts.brokenCause})`);
      break;
    }
    case 'opted-out':
      noRemediationBeyond('OptedOut');
      restarts(0);
      neverCordoned();
      break;
    case 'windows':
    case 'healthy':
      noRemediationBeyond(null);
      restarts(0);
      neverCordoned();
      break;
  }
  return {
    node: facts.node,
    role: facts.role,
    ok: problems.length === 0,
    expected: ROLE_EXPECTATION[facts.role],
    problems,
  };
}
