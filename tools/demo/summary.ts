/**
 * The demo's closing report: what was fixed, skipped and why, how long each took, and whether every node ended
 * as expected. Pure.
 */
import { CHAINS_CONDITION_TYPE } from '../../src/api/index.js';
import type { FleetTimeline, RemediationTimeline } from '../bench/timeline.js';
import type { DemoVerdict } from './expectations.js';
import { ROLE_LABEL, type DemoNode, type DemoRole } from './fleet.js';
import type { LatentStory } from './latent.js';
import { latestRemediation, seconds, type Style } from './view.js';

export interface SummaryInput {
  nodes: readonly DemoNode[];
  timeline: FleetTimeline;
  verdicts: readonly DemoVerdict[];
  kubeletRestarts: (node: string) => number;
  elapsedMs: number;
  /** The deadline passed before every node settled. */
  timedOut: boolean;
  /** Nodes still in progress when the demo stopped watching. */
  unsettled: readonly string[];
  operatorExited?: boolean;
  operatorLog: string;
  /** How a remediation the audit opened found its node (null: another trigger). */
  latentStory?: (node: string, remediation: string) => LatentStory | null;
}

/** How long the parts of one remediation took, as a short phrase. */
export function timings(r: RemediationTimeline): string {
  const parts: string[] = [];
  if (r.suspectMs !== undefined)
    parts.push(`detected ${seconds(r.createdMs - r.suspectMs)} after the crash loop`);
  const job = r.jobs[0];
  if (job?.finishedMs !== undefined) parts.push(`Job ${seconds(job.finishedMs - job.createdMs)}`);
  const cordoned = r.phases.find((p) => p.phase === 'Cordoning');
  const released = r.phases.find(
    (p) => cordoned && p.atMs >= cordoned.atMs && ['Succeeded', 'Skipped', 'Failed'].includes(p.phase),
  );
  if (cordoned && released && r.cordonedByUs !== false)
    parts.push(`cordoned ${seconds(released.atMs - cordoned.atMs)}`);
  return parts.join(', ');
}

function firstSentence(text: string | undefined): string {
  if (!text) return '';
  const match = /^(.*?[.!?])(\s|$)/.exec(text);
  return match ? match[1]! : text;
}

export function renderSummary(input: SummaryInput, style: Style): string[] {
  const lines: string[] = [];
  const byRole = new Map(input.nodes.map((n) => [n.name, n.role]));
  const fixed: string[] = [];
  const skipped: string[] = [];
  const untouched: string[] = [];
  const other: string[] = [];
  for (const { name, role } of input.nodes) {
    const nr = latestRemediation(input.timeline, name);
    const restarts = input.kubeletRestarts(name);
    const label = `${name} (${ROLE_LABEL[role]})`;
    if (!nr) {
      untouched.push(`    ${label}`);
      continue;
    }
    const took = nr.terminalMs !== undefined ? seconds(nr.terminalMs - nr.createdMs) : 'not finished';
    const story = input.latentStory?.(name, nr.name) ?? null;
    const detail = [
      story?.found,
      story?.condition ? `${CHAINS_CONDITION_TYPE} ${story.condition}` : undefined,
      timings(nr),
    ]
      .filter((part) => part)
      .join(', ');
    if (nr.phase === 'Succeeded') {
      const cordon = nr.wasUnschedulable ? 'left cordoned (it was cordoned before)' : 'uncordoned';
      const npm = story?.npmNeverCrashed
        ? `, ${style.green('azure-npm never crashed')} (restartCount ${story.npmRestartCount})`
        : '';
      fixed.push(
        `    ${label}: healed in ${took}, ${restarts} kubelet restart${restarts === 1 ? '' : 's'}, ${cordon}${npm}` +
          (detail ? `\n      ${style.dim(detail)}` : ''),
      );
    } else if (nr.phase === 'Skipped') {
      skipped.push(`    ${label}: ${nr.reason ?? 'Skipped'}: ${firstSentence(nr.message)}`);
    } else {
      other.push(
        `    ${label}: ${nr.phase}${nr.reason ? ` (${nr.reason})` : ''} ${firstSentence(nr.message)}`,
      );
    }
  }
  lines.push(style.bold('Summary'));
  if (fixed.length > 0) lines.push(`  ${style.green('Fixed')} (${fixed.length}):`, ...fixed);
  if (skipped.length > 0) lines.push(`  ${style.yellow('Skipped')} (${skipped.length}):`, ...skipped);
  if (other.length > 0) lines.push(`  ${style.red('Other')} (${other.length}):`, ...other);
  if (untouched.length > 0) lines.push(`  Untouched (${untouched.length}):`, ...untouched);
  lines.push('');

  lines.push(...verdictLines(input, byRole, style));
  lines.push(style.dim(`Operator log: ${input.operatorLog}`));
  return lines;
}

/**
 * PASS only when every node reached its outcome, the fleet settled and the operator lived; every FAIL says why:
 * the nodes still in progress at the deadline, the nodes that ended wrong, or the operator's exit.
 */
function verdictLines(input: SummaryInput, byRole: ReadonlyMap<string, DemoRole>, style: Style): string[] {
  const label = (node: string, fallback?: DemoRole) => {
    const role = byRole.get(node) ?? fallback;
    return role ? `${node} (${ROLE_LABEL[role]})` : node;
  };
  const wrong = input.verdicts.filter((v) => !v.ok);
  if (wrong.length === 0 && !input.timedOut && !input.operatorExited) {
    return [
      style.green(
        `PASS: all ${input.verdicts.length} nodes reached the expected outcome in ${seconds(input.elapsedMs)}.`,
      ),
    ];
  }
  const lines: string[] = [];
  if (input.timedOut) {
    const still = input.unsettled.map((n) => label(n));
    lines.push(
      style.red(
        `The demo did not settle within ${seconds(input.elapsedMs)}: ` +
          (still.length > 0 ? `still in progress on ${still.join(', ')}.` : 'no node was still in progress.'),
      ),
    );
  }
  if (wrong.length > 0) {
    lines.push(style.red(`FAIL: ${wrong.length} node(s) did not reach the expected outcome:`));
    for (const v of wrong) {
      lines.push(`  ${label(v.node, v.role)}: expected ${v.expected}`);
      for (const p of v.problems) lines.push(`    - ${p}`);
    }
  } else if (input.operatorExited) {
    lines.push(style.red('FAIL: the operator exited during the demo.'));
  } else {
    lines.push(style.red('FAIL: the fleet did not settle in time.'));
  }
  return lines;
}
