// The alerts' cases for `promtool test rules`: for each alert, the series a scrape of the operator would store and
// when the alert must fire or stay quiet. Series are 1-minute samples in promtool's notation ("0x9 1x20": ten 0s,
// then twenty-one 1s); `at` is the evaluation time from the first sample.

export type Labels = Record<string, string>;

export interface Series {
  name: string;
  /** The operator's own labels and the scrape's (see replica). */
  labels: Labels;
  values: string;
}

export interface AlertCase {
  alert: string;
  name: string;
  series: Series[];
  at: string;
  /**
   * One entry per alert expected to fire: all its labels but alertname, its summary as rendered, and the value
   * when an annotation shows it. Empty: the alert stays quiet.
   */
  fires: { labels: Labels; summary: string; value?: number }[];
}

const PODS = ['chainmedic-operator-7d9c5b6f4-x2k4p', 'chainmedic-operator-7d9c5b6f4-q8v7z'] as const;

/** The labels Prometheus adds when it scrapes a replica through the shipped ServiceMonitor. */
export function replica(n: 0 | 1): Labels {
  return {
    job: 'chainmedic-operator',
    namespace: 'chainmedic-system',
    service: 'chainmedic-operator',
    endpoint: 'metrics',
    container: 'operator',
    pod: PODS[n],
    instance: `10.244.${n + 1}.7:8080`,
  };
}

export const SCRAPE_LABELS: ReadonlySet<string> = new Set(Object.keys(replica(0)));

// Replica 0 leads; both export the fleet gauges (computed from each one's caches) and the zero series.
const leader = (name: string, labels: Labels, values: string): Series => ({
  name,
  labels: { ...labels, ...replica(0) },
  values,
});
const standby = (name: string, labels: Labels, values: string): Series => ({
  name,
  labels: { ...labels, ...replica(1) },
  values,
});
const both = (name: string, labels: Labels, values: string): Series[] => [
  leader(name, labels, values),
  standby(name, labels, values),
];

const FAILED = 'chainmedic_remediations_failed_total';
/** The failed counter of one reason: 0 until minute 10, then 1 (one remediation failed), for 50 minutes. */
const failedOnce = (reason: string): Series[] => [
  leader(FAILED, { reason }, '0x9 1x50'),
  standby(FAILED, { reason }, '0x59'),
];
const failedNever = (reason: string): Series[] => both(FAILED, { reason }, '0x59');

const leaderHeld = [leader('chainmedic_leader', {}, '1x59'), standby('chainmedic_leader', {}, '0x59')];

const UNCONFIRMED = [
  leader('chainmedic_detections_total', { result: 'unconfirmed' }, '0x4 1x55'),
  leader('chainmedic_detections_total', { result: 'confirmed' }, '0x59'),
];

const cordoned = [
  ...both('chainmedic_nodes', { state: 'watched' }, '40x59'),
  ...both('chainmedic_nodes', { state: 'affected' }, '0x59'),
  ...both('chainmedic_nodes', { state: 'cordoned_by_us' }, '2x59'),
];

const latent = [
  leader('chainmedic_audit_nodes', { state: 'eligible' }, '40x59'),
  leader('chainmedic_audit_nodes', { state: 'probed_within_interval' }, '40x59'),
  leader('chainmedic_audit_nodes', { state: 'chains_missing' }, '3x59'),
];

export const CASES: AlertCase[] = [
  {
    alert: 'ChainmedicRemediationFailed',
    name: 'two failures on the node, five minutes ago: one alert per reason',
    series: [...failedOnce('RestartFailed'), ...failedOnce('VerifyTimeout'), ...failedNever('JobRejected')],
    at: '15m',
    fires: [
      {
        labels: { reason: 'RestartFailed', severity: 'warning' },
        summary: 'A NodeRemediation failed (RestartFailed)',
      },
      {
        labels: { reason: 'VerifyTimeout', severity: 'warning' },
        summary: 'A NodeRemediation failed (VerifyTimeout)',
      },
    ],
  },
  {
    alert: 'ChainmedicRemediationFailed',
    name: 'a failure 35 minutes ago is out of the window',
    series: [...failedOnce('RestartFailed'), ...failedNever('JobRejected')],
    at: '45m',
    fires: [],
  },
  {
    alert: 'ChainmedicRemediationFailed',
    name: 'a refusal by the API server is the other alert',
    series: [...failedOnce('JobRejected'), ...failedNever('RestartFailed')],
    at: '15m',
    fires: [],
  },
  {
    alert: 'ChainmedicRemediationFailed',
    name: 'zero series only',
    series: [...failedNever('RestartFailed'), ...failedNever('JobRejected')],
    at: '30m',
    fires: [],
  },
  {
    alert: 'ChainmedicRemediationRejected',
    name: 'an uncordon refused five minutes ago',
    series: [...failedOnce('UncordonRejected'), ...failedNever('RestartFailed')],
    at: '15m',
    fires: [
      {
        labels: { reason: 'UncordonRejected', severity: 'warning' },
        summary: 'The API server refused a remediation step (UncordonRejected)',
      },
    ],
  },
  {
    alert: 'ChainmedicRemediationRejected',
    name: 'a failure on the node is the other alert',
    series: [...failedOnce('RestartFailed'), ...failedNever('JobRejected')],
    at: '15m',
    fires: [],
  },
  {
    alert: 'ChainmedicRemediationRejected',
    name: 'a refusal 35 minutes ago is out of the window',
    series: [...failedOnce('CordonRejected')],
    at: '45m',
    fires: [],
  },
  {
    alert: 'ChainmedicStormGuardActive',
    name: 'the guard holds for 5 minutes',
    series: both('chainmedic_storm_guard_active', {}, '1x20'),
    at: '5m',
    fires: [
      {
        labels: { severity: 'critical' },
        summary: 'More nodes are affected than the storm guard allows; chainmedic is not remediating',
      },
    ],
  },
  {
    alert: 'ChainmedicStormGuardActive',
    name: 'the guard has held for 4 minutes',
    series: both('chainmedic_storm_guard_active', {}, '1x20'),
    at: '4m',
    fires: [],
  },
  {
    alert: 'ChainmedicStormGuardActive',
    name: 'the guard flaps, never 5 minutes in a row',
    series: both('chainmedic_storm_guard_active', {}, '1x3 0 1x3 0 1x3 0'),
    at: '11m',
    fires: [],
  },
  {
    alert: 'ChainmedicNodeCordonedTooLong',
    name: 'two nodes cordoned for 45 minutes',
    series: cordoned,
    at: '45m',
    fires: [
      {
        labels: { severity: 'warning' },
        summary: 'chainmedic has kept a node cordoned for more than 45 minutes',
        value: 2,
      },
    ],
  },
  {
    alert: 'ChainmedicNodeCordonedTooLong',
    name: 'two nodes cordoned for 44 minutes',
    series: cordoned,
    at: '44m',
    fires: [],
  },
  {
    alert: 'ChainmedicNodeCordonedTooLong',
    name: 'affected nodes, none cordoned',
    series: [
      ...both('chainmedic_nodes', { state: 'affected' }, '3x59'),
      ...both('chainmedic_nodes', { state: 'cordoned_by_us' }, '0x59'),
    ],
    at: '50m',
    fires: [],
  },
  {
    alert: 'ChainmedicUnconfirmedCrashLoops',
    name: 'an unconfirmed crash loop counted 15 minutes ago',
    series: UNCONFIRMED,
    at: '20m',
    fires: [
      {
        labels: { severity: 'info' },
        summary: 'azure-npm is crash-looping for a reason chainmedic does not recognise',
      },
    ],
  },
  {
    alert: 'ChainmedicUnconfirmedCrashLoops',
    name: 'an unconfirmed crash loop counted 14 minutes ago',
    series: UNCONFIRMED,
    at: '19m',
    fires: [],
  },
  {
    alert: 'ChainmedicUnconfirmedCrashLoops',
    name: 'confirmed detections only',
    series: [
      leader('chainmedic_detections_total', { result: 'unconfirmed' }, '0x59'),
      leader('chainmedic_detections_total', { result: 'confirmed' }, '0x4 1x4 3x50'),
    ],
    at: '30m',
    fires: [],
  },
  {
    alert: 'ChainmedicLatentNodes',
    name: 'three latent nodes for 30 minutes',
    series: latent,
    at: '30m',
    fires: [
      {
        labels: { severity: 'warning' },
        summary: "Nodes have lost kubelet's iptables chains while azure-npm still runs",
        value: 3,
      },
    ],
  },
  {
    alert: 'ChainmedicLatentNodes',
    name: 'three latent nodes for 29 minutes',
    series: latent,
    at: '29m',
    fires: [],
  },
  {
    alert: 'ChainmedicLatentNodes',
    name: 'latent nodes remediated within 20 minutes',
    series: [
      leader('chainmedic_audit_nodes', { state: 'eligible' }, '40x59'),
      leader('chainmedic_audit_nodes', { state: 'chains_missing' }, '3x9 1x9 0x40'),
    ],
    at: '40m',
    fires: [],
  },
  {
    alert: 'ChainmedicNoLeader',
    name: 'both replicas standing by for 5 minutes',
    series: both('chainmedic_leader', {}, '0x20'),
    at: '5m',
    fires: [{ labels: { severity: 'critical' }, summary: 'No chainmedic replica holds the leader lease' }],
  },
  {
    alert: 'ChainmedicNoLeader',
    name: 'no replica scraped at all',
    series: [],
    at: '5m',
    fires: [{ labels: { severity: 'critical' }, summary: 'No chainmedic replica holds the leader lease' }],
  },
  {
    alert: 'ChainmedicNoLeader',
    name: 'both replicas standing by for 4 minutes',
    series: both('chainmedic_leader', {}, '0x20'),
    at: '4m',
    fires: [],
  },
  {
    alert: 'ChainmedicNoLeader',
    name: 'one replica leads',
    series: leaderHeld,
    at: '30m',
    fires: [],
  },
  {
    alert: 'ChainmedicNoLeader',
    name: 'the lease changes hands within 2 minutes',
    series: [leader('chainmedic_leader', {}, '1x9 0x20'), standby('chainmedic_leader', {}, '0x11 1x20')],
    at: '20m',
    fires: [],
  },
];
