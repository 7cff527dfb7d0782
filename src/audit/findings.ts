/**
 * What the operator knows about a node's chains, and the Node condition that says it. Pure.
 *
 * Two kinds of Job look at the chains: the probe Jobs (src/audit/plan.ts plans them) and the remediation Jobs
 * (their probe before, and after the kubelet restart). The latest finding of either is the node's
 * KubeletIPTablesInitFailed condition; a probe that found the chains missing while no remediation runs is a
 * latent node (azure-npm checks only when it starts, so it still runs).
 */
import type { NodeRemediationStatus, ProbeReason, ProbeSummary } from '../api/index.js';
import type { ChainsCondition, JobReport, ObservedRemediation } from '../remediation/types.js';

/** A probe Job on the node, as the operator sees it. Times are ms since the epoch. */
export interface ObservedProbe {
  name: string;
  uid: string;
  reason: ProbeReason;
  createdAt: number;
  state: 'running' | 'succeeded' | 'failed';
  finishedAt?: number;
  /** Finished: what it found; null when it left no result (`reportError` says why). */
  probe?: ProbeSummary | null;
  reportError?: string;
}

/** One look at the chains: when, what (null: the Job ended without a result), and by what. */
export interface ChainsFinding {
  at: number;
  probe: ProbeSummary | null;
  /** "probe Job <name>" or "NodeRemediation <name>". */
  by: string;
  reportError?: string;
}

/** `agent probe` exits 0 present, 1 missing, 2 error; exit 0 may leave no termination message. */
export function probeSummaryOf(
  report: JobReport | null,
  exitCode: number | null | undefined,
): ProbeSummary | null {
  if (report?.kind === 'probe') return report.probe;
  if (exitCode === 0 || exitCode === 1) return { verdict: exitCode === 0 ? 'present' : 'missing' };
  return null;
}

function remediationFinding(r: ObservedRemediation): ChainsFinding | null {
  const st: NodeRemediationStatus | undefined = r.status;
  const probe = st?.agent?.after ?? st?.agent?.before;
  if (!st || !probe) return null;
  const attempts = st.attempts ?? [];
  const last = attempts[attempts.length - 1];
  const when = st.verifyStartTime ?? last?.completionTime ?? st.completionTime;
  const at = when ? Date.parse(when) : NaN;
  return Number.isFinite(at) ? { at, probe, by: `NodeRemediation ${r.name}` } : null;
}

/** The newest finding on the node, from its finished probe Jobs and its remediations' agent reports. */
export function latestFinding(
  probes: readonly ObservedProbe[],
  remediations: readonly ObservedRemediation[],
): ChainsFinding | null {
  let latest: ChainsFinding | null = null;
  const consider = (f: ChainsFinding | null) => {
    if (f && (!latest || f.at > latest.at)) latest = f;
  };
  for (const p of probes) {
    if (p.state === 'running' || p.finishedAt === undefined) continue;
    consider({
      at: p.finishedAt,
      probe: p.probe ?? null,
      by: `probe Job ${p.name}`,
      ...(p.reportError ? { reportError: p.reportError } : {}),
    });
  }
  for (const r of remediations) consider(remediationFinding(r));
  return latest;
}

const CHAINS = 'KUBE-IPTABLES-HINT and KUBE-KUBELET-CANARY';

/** The condition a finding makes, the transition time kept while the status stays. */
export function chainsConditionFor(
  finding: ChainsFinding,
  current: ChainsCondition | undefined,
): ChainsCondition {
  const heartbeat = isoSeconds(finding.at);
  const p = finding.probe;
  const [status, reason, message]: [ChainsCondition['status'], string, string] = !p
    ? [
        'Unknown',
        'ProbeFailed',
        `The ${finding.by} ended without a result (${finding.reportError ?? 'no termination message'}).`,
      ]
    : p.verdict === 'missing'
      ? [
          'True',
          'ChainsMissing',
          `${CHAINS} are missing in iptables-nft and iptables-legacy (${finding.by}): kubelet's iptables init ` +
            `failed. azure-npm crash-loops at its next start on this node.`,
        ]
      : p.verdict === 'present'
        ? ['False', 'ChainsPresent', `${CHAINS} exist (iptables-${p.backend ?? 'nft'}; ${finding.by}).`]
        : [
            'Unknown',
            'ProbeError',
            `The ${finding.by} could not check the chains (iptables failed or timed out).`,
          ];
  const transition =
    current && current.status === status && current.lastTransitionTime
      ? current.lastTransitionTime
      : heartbeat;
  return { status, reason, message, lastHeartbeatTime: heartbeat, lastTransitionTime: transition };
}

/**
 * The condition to write, or null when the node already says it: a finding newer than the condition's heartbeat
 * (compared in whole seconds, as the API server stores times), or the same second with other words (but never a
 * result of that second replaced by no result).
 */
export function chainsConditionUpdate(
  finding: ChainsFinding | null,
  current: ChainsCondition | undefined,
): ChainsCondition | null {
  if (!finding) return null;
  const desired = chainsConditionFor(finding, current);
  if (!current) return desired;
  const was = Date.parse(current.lastHeartbeatTime);
  const now = Date.parse(desired.lastHeartbeatTime);
  if (Number.isFinite(was) && now < was) return null;
  // A reading without a result never replaces a result of the same moment (the same Job read again after its pod
  // was deleted, say): only a newer look does.
  if (now === was && !finding.probe && current.status !== 'Unknown') return null;
  if (
    now === was &&
    current.status === desired.status &&
    current.reason === desired.reason &&
    current.message === desired.message
  )
    return null;
  return desired;
}

/** The latent node: its newest finding is a probe Job's, and that probe found the chains missing. */
export function latentProbe(
  probes: readonly ObservedProbe[],
  latest: ChainsFinding | null,
): ObservedProbe | null {
  if (!latest || latest.probe?.verdict !== 'missing') return null;
  return probes.find((p) => `probe Job ${p.name}` === latest.by) ?? null;
}

/** The probe time of a condition, in ms (undefined when it has none). */
export function lastProbedAt(condition: ChainsCondition | undefined): number | undefined {
  const t = condition ? Date.parse(condition.lastHeartbeatTime) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
