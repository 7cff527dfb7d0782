import type { NodeRemediationStatus } from '../../src/api/index.js';
import { effectivePolicy } from '../../src/config/policy.js';
import type { RemediationPolicySpec } from '../../src/api/index.js';
import type {
  Observed,
  ObservedJob,
  ObservedNode,
  ObservedRemediation,
} from '../../src/remediation/types.js';

export const NOW = Date.parse('2026-11-24T20:00:00.000Z');
export const NR = 'node-a-0123456789';
export const iso = (ms: number) => new Date(ms).toISOString();

export function node(overrides: Partial<ObservedNode> = {}): ObservedNode {
  return {
    name: 'node-a',
    os: 'linux',
    ready: true,
    unschedulable: false,
    optOut: undefined,
    cordonedBy: undefined,
    operation: null,
    ...overrides,
  } as ObservedNode;
}

export function remediation(
  status?: NodeRemediationStatus,
  overrides: Partial<ObservedRemediation> = {},
): ObservedRemediation {
  return {
    name: NR,
    uid: 'nr-uid',
    generation: 1,
    creationTimestamp: iso(NOW - 60_000),
    spec: {
      nodeName: 'node-a',
      trigger: { source: 'CrashLoop', pod: 'azure-npm-x', podUid: 'pod-uid-1', container: 'azure-npm' },
    },
    ...(status ? { status } : {}),
    ...overrides,
  };
}

/** A status in `phase` for attempt 1, started a minute ago. */
export function inPhase(
  phase: NodeRemediationStatus['phase'],
  extra: NodeRemediationStatus = {},
): NodeRemediationStatus {
  return {
    phase,
    reason: 'Test',
    attempt: 1,
    jobName: `${NR}-1`,
    attempts: [{ attempt: 1, jobName: `${NR}-1`, startTime: iso(NOW - 60_000) }],
    ...extra,
  };
}

export function observed(overrides: Partial<Observed> = {}, policy: RemediationPolicySpec = {}): Observed {
  return {
    now: NOW,
    nodeName: 'node-a',
    node: node(),
    policy: effectivePolicy(policy),
    remediations: [],
    detection: { kind: 'none' },
    jobs: [],
    targetPod: { uid: 'pod-uid-1', name: 'azure-npm-x', ready: false },
    fleet: { activeRemediations: 0, affectedNodes: 1, linuxNodes: 20 },
    jobContext: { namespace: 'chainmedic-agent', image: 'chainmedic:test' },
    ...overrides,
  };
}

export function finished(
  outcome: 'Restarted' | 'ChainsPresent' | 'ChainsStillMissing' | 'RestartFailed' | 'ProbeError',
  name = `${NR}-1`,
): ObservedJob {
  const present = { verdict: 'present' as const, backend: 'nft' as const };
  const missing = { verdict: 'missing' as const };
  return {
    name,
    state: outcome === 'Restarted' || outcome === 'ChainsPresent' ? 'succeeded' : 'failed',
    report: {
      kind: 'remediate',
      outcome,
      before: outcome === 'ChainsPresent' ? present : missing,
      ...(outcome === 'Restarted' ? { after: present } : {}),
      kubeletRestarted: outcome === 'Restarted' || outcome === 'ChainsStillMissing',
    },
  };
}

/** A NodeRemediation opened by the audit: probe Job `probe-1` found the chains missing at `observedAt`. */
export function auditRemediation(
  status?: NodeRemediationStatus,
  overrides: Partial<ObservedRemediation> = {},
  observedAt = iso(NOW - 120_000),
): ObservedRemediation {
  return remediation(status, {
    spec: {
      nodeName: 'node-a',
      trigger: { source: 'Audit', probeJob: 'probe-1', probeReason: 'Rolling', observedAt },
    },
    ...overrides,
  });
}

/** The KubeletIPTablesInitFailed condition as the operator writes it, its heartbeat at `at`. */
export function chains(
  status: 'True' | 'False' | 'Unknown',
  at: number,
): NonNullable<ObservedNode['chains']> {
  const reason = { True: 'ChainsMissing', False: 'ChainsPresent', Unknown: 'ProbeError' }[status];
  const t = new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return { status, reason, message: `chains ${reason}`, lastHeartbeatTime: t, lastTransitionTime: t };
}
