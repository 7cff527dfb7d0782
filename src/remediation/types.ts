/**
 * The contract between the pure core (`decide`) and the executor that gathers what it needs and performs
 * what it asks. Everything here is plain data: no clients, no clocks.
 */
import type {
  AgentOutcome,
  NodeRemediationSpec,
  NodeRemediationStatus,
  ProbeReason,
  ProbeSummary,
} from '../api/index.js';
import type { EffectivePolicy } from '../config/policy.js';
import type { AgentJob } from './job.js';

/** The node as `decide` sees it; `observeNode` builds it from a v1 Node. */
export interface ObservedNode {
  name: string;
  /** Label kubernetes.io/os (only "linux" is acted on). */
  os: string | undefined;
  ready: boolean;
  unschedulable: boolean;
  /** Raw value of chainmedic.io/opt-out: only exactly "true" opts out. */
  optOut: string | undefined;
  /** Raw value of chainmedic.io/cordoned-by: the NodeRemediation that cordoned the node. */
  cordonedBy: string | undefined;
  /** The cluster itself is deleting, scaling down or upgrading the node (docs/adr/0015): no remediation starts. */
  operation: { reason: string; message: string } | null;
  /** status.nodeInfo.bootID: changes at every reboot. */
  bootID?: string;
  /** The operator's own Node condition (KubeletIPTablesInitFailed), as last written. */
  chains?: ChainsCondition;
}

/** The KubeletIPTablesInitFailed Node condition: True = the chains are missing (times RFC 3339). */
export interface ChainsCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** When the probe behind it ran. */
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

/** A NodeRemediation of this node (all of them are given, terminal ones included: they are the history). */
export interface ObservedRemediation {
  name: string;
  uid: string;
  generation?: number;
  /** RFC 3339; orders the node's remediations (oldest first). */
  creationTimestamp?: string;
  spec: NodeRemediationSpec;
  status?: NodeRemediationStatus;
}

/** The detection for this node, from the target pod + its previous log (see src/detect). */
export type Detection =
  | { kind: 'none' }
  | { kind: 'unconfirmed'; podUid: string; podName: string; restartCount: number }
  | {
      kind: 'confirmed';
      podUid: string;
      podName: string;
      namespace: string;
      container: string;
      restartCount: number;
      /** The matched log line. */
      signature: string;
      /** RFC 3339. */
      observedAt: string;
    }
  /** A probe Job found the chains missing while azure-npm still runs (src/audit/findings.ts). */
  | {
      kind: 'latent';
      probeJob: string;
      probeUid: string;
      reason: ProbeReason;
      /** RFC 3339: when the probe finished. */
      observedAt: string;
    };

/** What a finished Job reported, parsed from its termination message (see agent-result.ts). */
export type JobReport =
  | {
      kind: 'remediate';
      outcome: AgentOutcome;
      before?: ProbeSummary;
      after?: ProbeSummary;
      kubeletRestarted: boolean;
      cause?: string;
    }
  | { kind: 'probe'; probe: ProbeSummary };

/**
 * A Job labelled with this node. For a finished one, `report` is the parsed termination message
 * (`parseJobReport`), `reportError` why it could not be read, and `exitCode` the agent container's exit status
 * when known (a dry-run probe that found the chains exits 0 and may leave no termination message).
 */
export type ObservedJob =
  | { name: string; state: 'running' }
  | {
      name: string;
      state: 'succeeded' | 'failed';
      report: JobReport | null;
      reportError?: string;
      exitCode?: number | null;
    };

/** The azure-npm pod on this node (from the target DaemonSet), if any. */
export interface ObservedTargetPod {
  uid: string;
  name: string;
  ready: boolean;
  /** In back-off, or past the restart threshold and not Ready (src/detect/classify.ts). */
  crashLooping?: boolean;
}

export interface FleetCounts {
  /** Remediations in a slot-holding phase (Cordoning..Uncordoning) on OTHER nodes. */
  activeRemediations: number;
  /** Linux nodes whose target pod is suspect or that have an active remediation (this one included). */
  affectedNodes: number;
  linuxNodes: number;
  /** The storm the guard holds (src/operator/fleet.ts names it), once it has a name. */
  storm?: StormView;
}

export interface StormView {
  /** Printed in the guard's message; an SRE releases the storm by annotating the policy with it. */
  id: string;
  /** The policy's chainmedic.io/release-storm annotation names this storm. */
  released: boolean;
  /** The annotation's value when it names another (an ended) storm. */
  otherRelease?: string;
  /** What most affected nodes share (src/remediation/storm.ts). */
  headline?: string;
}

/** Where the Job runs and with what. */
export interface JobContext {
  namespace: string;
  image: string;
}

/** Everything `decide` needs about ONE node key. */
export interface Observed {
  /** Milliseconds since the epoch. */
  now: number;
  nodeName: string;
  /** null when the Node does not exist (any more). */
  node: ObservedNode | null;
  policy: EffectivePolicy;
  /** All NodeRemediations whose spec.nodeName is this node. */
  remediations: ObservedRemediation[];
  detection: Detection;
  /** The operator's Jobs labelled with this node. */
  jobs: ObservedJob[];
  targetPod: ObservedTargetPod | null;
  fleet: FleetCounts;
  jobContext: JobContext;
  /** The API server refused an effect or status write of the previous step for good (docs/adr/0008). */
  refusal?: Refusal;
}

/** A call of a step that the API server refused (never transient: those are retried, not observed). */
export interface Refusal {
  call:
    | 'admitJob'
    | 'admitPod'
    | 'createJob'
    | 'cordon'
    | 'uncordon'
    | 'deletePod'
    | 'status'
    | 'createRemediation';
  /** HTTP status and the v1 Status reason. */
  code: number;
  reason: string;
  /** The API server's message, verbatim. */
  message: string;
}

/** At most one per step. Each one is idempotent (see docs/adr/0003). */
export type Effect =
  | { type: 'none' }
  | { type: 'createRemediation'; name: string; spec: NodeRemediationSpec }
  /**
   * spec.unschedulable=true and the marker annotation, in one patch. Already cordoned by `marker` = ok. With
   * `admitFirst`, the Job (and the pod it would make) are dry-run first: refused -> no cordon.
   */
  | { type: 'cordon'; node: string; marker: string; admitFirst?: AgentJob }
  /** AlreadyExists = ok. With `admitPodFirst`, the pod the Job would make is dry-run first: refused -> no Job. */
  | { type: 'createJob'; job: AgentJob; admitPodFirst?: boolean }
  /** With a uid precondition: deletes only that incarnation of the pod; NotFound = ok. */
  | { type: 'deletePod'; namespace: string; name: string; uid: string }
  /** Removes unschedulable and the marker only if the marker still equals `expectMarker` (json-patch test). */
  | { type: 'uncordon'; node: string; expectMarker: string };

export interface RecordedEvent {
  on: 'node' | 'remediation';
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The status write is performed FIRST, then the effect. */
export interface Step {
  /** Replace the status of NodeRemediation `name` with `status`. */
  status?: { name: string; status: NodeRemediationStatus };
  effect: Effect;
  /** Reconcile this node again after this many ms (absent: only on the next change). */
  requeueAfterMs?: number;
  events: RecordedEvent[];
}
