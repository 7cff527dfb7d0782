/**
 * Which check lives where. Every invalid object the project knows of, with who refuses it:
 * - `crd`: the API server itself, from the CRD (schema, pattern or CEL rule), webhook or not; the refusal
 *   names `field` and says `message` (test/control-plane/crd-validation.test.ts checks it on a real apiserver
 *   with no webhook);
 * - `webhook`: the admission webhook, whose message contains this text (test/server/admission.test.ts).
 * A case without `crd` is the webhook's alone: with the webhook down (it fails open) the API server accepts
 * it, and crd-validation.test.ts checks that too, so a rule that moves into the CRD must move here as well.
 *
 * Only checks that need no other object can be in the CRD. The webhook keeps the ones that need the cluster
 * (a Manual NodeRemediation's node: exists, Linux, not opted out, nothing in flight) and the ones CEL cannot
 * express (signatures are JavaScript regular expressions: whether one compiles, and whether it matches an empty
 * log, is JavaScript's answer, which RE2 does not give). It also keeps every CRD check, for free: they are
 * `validatePolicy` and the zod schema, which the operator applies to the policy it reads anyway; on a cluster
 * with the current CRDs they never fire there (the API server validates the schema before it calls webhooks),
 * but they do where the CRDs are older than the operator.
 */
import { API_VERSION } from '../../src/api/index.js';

export type CaseKind = 'RemediationPolicy' | 'NodeRemediation';

export interface InvalidCase {
  what: string;
  kind: CaseKind;
  spec: Record<string, unknown>;
  /** Refused by the API server from the CRD: the field path it names and a text of its message. */
  crd?: { field: string; message: string };
  /** Refused by the webhook (CREATE and, for policies, UPDATE): a text of its message. */
  webhook: string;
}

const manual = (nodeName: unknown) => ({ nodeName, trigger: { source: 'Manual' } });
const SHOULD_MATCH_DURATION = "should match '^([0-9]{1,5}([.][0-9]{1,5})?h";
const NOT_A_DURATION = (field: string, value: string) =>
  `${field}: "${value}" is not a duration (use e.g. "90s", "10m", "1h30m")`;
const COOLDOWN = 'must not be longer than spec.attemptWindow (attempts would never share a window)';
const AGENT_WAIT = 'must be shorter than spec.job.timeout';
const MAX_UNHEALTHY = 'must be a node count (an integer >= 0) or a percentage between "0%" and "100%"';

export const INVALID: InvalidCase[] = [
  {
    what: 'a duration that does not parse',
    kind: 'RemediationPolicy',
    spec: { cooldown: 'banana' },
    crd: { field: 'spec.cooldown', message: SHOULD_MATCH_DURATION },
    webhook: NOT_A_DURATION('spec.cooldown', 'banana'),
  },
  {
    what: 'a duration with spaces',
    kind: 'RemediationPolicy',
    spec: { job: { ttlAfterFinished: '10 minutes' } },
    crd: { field: 'spec.job.ttlAfterFinished', message: SHOULD_MATCH_DURATION },
    webhook: NOT_A_DURATION('spec.job.ttlAfterFinished', '10 minutes'),
  },
  {
    what: 'a duration with a day unit',
    kind: 'RemediationPolicy',
    spec: { verifyTimeout: '1d' },
    crd: { field: 'spec.verifyTimeout', message: SHOULD_MATCH_DURATION },
    webhook: NOT_A_DURATION('spec.verifyTimeout', '1d'),
  },
  {
    what: 'a duration finer than a millisecond',
    kind: 'RemediationPolicy',
    spec: { attemptWindow: '1.0001s' },
    crd: { field: 'spec.attemptWindow', message: SHOULD_MATCH_DURATION },
    webhook: NOT_A_DURATION('spec.attemptWindow', '1.0001s'),
  },
  {
    what: "a duration past Go's range (CEL's duration() could not parse it)",
    kind: 'RemediationPolicy',
    spec: { attemptWindow: '9999999999h' },
    crd: { field: 'spec.attemptWindow', message: SHOULD_MATCH_DURATION },
    webhook: NOT_A_DURATION('spec.attemptWindow', '9999999999h'),
  },
  {
    what: 'an empty duration',
    kind: 'RemediationPolicy',
    spec: { cooldown: '' },
    crd: { field: 'spec.cooldown', message: SHOULD_MATCH_DURATION },
    webhook: NOT_A_DURATION('spec.cooldown', ''),
  },
  {
    what: 'a cooldown longer than the attempt window',
    kind: 'RemediationPolicy',
    spec: { cooldown: '2h', attemptWindow: '1h' },
    crd: { field: 'spec.cooldown', message: COOLDOWN },
    webhook: `spec.cooldown: ${COOLDOWN}`,
  },
  {
    what: 'a cooldown longer than the default attempt window (1h)',
    kind: 'RemediationPolicy',
    spec: { cooldown: '61m' },
    crd: { field: 'spec.cooldown', message: COOLDOWN },
    webhook: `spec.cooldown: ${COOLDOWN}`,
  },
  {
    what: 'an attempt window shorter than the default cooldown (10m)',
    kind: 'RemediationPolicy',
    spec: { attemptWindow: '9m59s' },
    crd: { field: 'spec.cooldown', message: COOLDOWN },
    webhook: `spec.cooldown: ${COOLDOWN}`,
  },
  {
    what: 'a cooldown one millisecond longer than the window, in other units',
    kind: 'RemediationPolicy',
    spec: { cooldown: '90m1ms', attemptWindow: '1.5h' },
    crd: { field: 'spec.cooldown', message: COOLDOWN },
    webhook: `spec.cooldown: ${COOLDOWN}`,
  },
  {
    what: 'an attempt window under 1s',
    kind: 'RemediationPolicy',
    spec: { cooldown: '0s', attemptWindow: '999ms' },
    crd: { field: 'spec.attemptWindow', message: 'must be at least 1s' },
    webhook: 'spec.attemptWindow: "999ms" is shorter than the minimum of 1s',
  },
  {
    what: 'a verify timeout under 1s',
    kind: 'RemediationPolicy',
    spec: { verifyTimeout: '0.999s' },
    crd: { field: 'spec.verifyTimeout', message: 'must be at least 1s' },
    webhook: 'spec.verifyTimeout: "0.999s" is shorter than the minimum of 1s',
  },
  {
    what: 'an audit interval under 1m',
    kind: 'RemediationPolicy',
    spec: { audit: { interval: '59s' } },
    crd: { field: 'spec.audit.interval', message: 'must be at least 1m' },
    webhook: 'spec.audit.interval: "59s" is shorter than the minimum of 60s',
  },
  {
    what: 'a settle delay after a kubelet start under 1s',
    kind: 'RemediationPolicy',
    spec: { audit: { afterKubeletStart: '500ms' } },
    crd: { field: 'spec.audit.afterKubeletStart', message: 'must be at least 1s' },
    webhook: 'spec.audit.afterKubeletStart: "500ms" is shorter than the minimum of 1s',
  },
  {
    what: 'a Job timeout under 10s',
    kind: 'RemediationPolicy',
    spec: { job: { timeout: '9s', agentWaitSeconds: 5 } },
    crd: { field: 'spec.job.timeout', message: 'must be at least 10s' },
    webhook: 'spec.job.timeout: "9s" is shorter than the minimum of 10s',
  },
  {
    what: 'an agent wait longer than the Job timeout',
    kind: 'RemediationPolicy',
    spec: { job: { timeout: '60s', agentWaitSeconds: 90 } },
    crd: { field: 'spec.job.agentWaitSeconds', message: AGENT_WAIT },
    webhook: 'spec.job.agentWaitSeconds: 90s must be shorter than spec.job.timeout (60s)',
  },
  {
    what: 'a Job timeout equal to the default agent wait (90)',
    kind: 'RemediationPolicy',
    spec: { job: { timeout: '1.5m' } },
    crd: { field: 'spec.job.agentWaitSeconds', message: AGENT_WAIT },
    webhook: 'spec.job.agentWaitSeconds: 90s must be shorter than spec.job.timeout (90s)',
  },
  {
    what: 'an agent wait equal to the default Job timeout (5m)',
    kind: 'RemediationPolicy',
    spec: { job: { agentWaitSeconds: 300 } },
    crd: { field: 'spec.job.agentWaitSeconds', message: AGENT_WAIT },
    webhook: 'spec.job.agentWaitSeconds: 300s must be shorter than spec.job.timeout (300s)',
  },
  {
    what: 'a percentage above 100',
    kind: 'RemediationPolicy',
    spec: { maxUnhealthy: '150%' },
    crd: { field: 'spec.maxUnhealthy', message: MAX_UNHEALTHY },
    webhook: 'spec.maxUnhealthy: "150%" must be an integer or a percentage',
  },
  {
    what: 'a maxUnhealthy that is neither a count nor a percentage',
    kind: 'RemediationPolicy',
    spec: { maxUnhealthy: 'ten' },
    crd: { field: 'spec.maxUnhealthy', message: MAX_UNHEALTHY },
    webhook: 'spec.maxUnhealthy: "ten" must be an integer or a percentage',
  },
  {
    what: 'a negative maxUnhealthy',
    kind: 'RemediationPolicy',
    spec: { maxUnhealthy: -1 },
    crd: { field: 'spec.maxUnhealthy', message: MAX_UNHEALTHY },
    webhook: 'spec.maxUnhealthy: ',
  },
  {
    what: 'a limit out of range',
    kind: 'RemediationPolicy',
    spec: { maxConcurrent: 0 },
    crd: { field: 'spec.maxConcurrent', message: 'should be greater than or equal to 1' },
    webhook: 'spec.maxConcurrent: ',
  },
  {
    what: 'an unknown onFailure',
    kind: 'RemediationPolicy',
    spec: { onFailure: 'Reboot' },
    crd: { field: 'spec.onFailure', message: 'Unsupported value: "Reboot"' },
    webhook: 'spec.onFailure: ',
  },
  {
    what: 'an empty list of signatures',
    kind: 'RemediationPolicy',
    spec: { signatures: [] },
    crd: { field: 'spec.signatures', message: 'should have at least 1 items' },
    webhook: 'spec.signatures: must not be empty',
  },
  {
    what: 'a signature that is not a JavaScript regular expression',
    kind: 'RemediationPolicy',
    spec: { signatures: ['ok', '(unclosed'] },
    webhook: 'spec.signatures[1]: not a valid regular expression',
  },
  {
    what: 'a signature matching the empty log',
    kind: 'RemediationPolicy',
    spec: { signatures: ['.*'] },
    webhook: 'spec.signatures[0]: /.*/ matches an empty log',
  },
  {
    what: 'a node name that is not a DNS-1123 subdomain',
    kind: 'NodeRemediation',
    spec: manual('no such node!!'),
    crd: { field: 'spec.nodeName', message: "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?" },
    webhook: 'spec.nodeName: must be a DNS-1123 subdomain',
  },
  {
    what: 'an upper-case node name',
    kind: 'NodeRemediation',
    spec: manual('Aks-Nodepool1-12345678-vmss000003'),
    crd: { field: 'spec.nodeName', message: 'should match' },
    webhook: 'spec.nodeName: must be a DNS-1123 subdomain',
  },
  {
    what: 'an empty node name',
    kind: 'NodeRemediation',
    spec: manual(''),
    crd: { field: 'spec.nodeName', message: 'should match' },
    webhook: 'spec.nodeName: must be a DNS-1123 subdomain',
  },
  {
    what: 'a node name over 253 characters',
    kind: 'NodeRemediation',
    spec: manual(`${'a'.repeat(63)}.`.repeat(4).slice(0, 254)),
    crd: { field: 'spec.nodeName', message: 'may not be more than 253 bytes' },
    webhook: 'spec.nodeName: ',
  },
  {
    what: 'no node name',
    kind: 'NodeRemediation',
    spec: { trigger: { source: 'Manual' } },
    crd: { field: 'spec.nodeName', message: 'Required value' },
    webhook: 'spec.nodeName: ',
  },
  {
    what: 'an unknown trigger source',
    kind: 'NodeRemediation',
    spec: { nodeName: 'node-a', trigger: { source: 'Bogus' } },
    crd: { field: 'spec.trigger.source', message: 'Unsupported value: "Bogus"' },
    webhook: 'spec.trigger.source: ',
  },
  {
    what: 'a manual remediation of a node that does not exist',
    kind: 'NodeRemediation',
    spec: manual('no-such-node'),
    webhook: 'spec.nodeName: node "no-such-node" does not exist',
  },
];

/** Valid near the edges of the rules: the API server and the webhook accept each. */
export const VALID: { what: string; kind: CaseKind; spec: Record<string, unknown> }[] = [
  { what: 'an empty policy (every default)', kind: 'RemediationPolicy', spec: {} },
  {
    what: 'a cooldown equal to the attempt window, in other units',
    kind: 'RemediationPolicy',
    spec: { cooldown: '1.5h', attemptWindow: '90m' },
  },
  {
    what: 'the longest durations of each unit',
    kind: 'RemediationPolicy',
    spec: {
      cooldown: '999999999999ms',
      attemptWindow: '99999.99999h99999.99999h9999999m',
      verifyTimeout: '9999999.9999m',
      job: { timeout: '999999999.999s', ttlAfterFinished: '99999h99999h99999h99999h99999h' },
    },
  },
  {
    what: 'the shortest attempt window, verify timeout and Job timeout',
    kind: 'RemediationPolicy',
    spec: {
      cooldown: '0.5s',
      attemptWindow: '1000ms',
      verifyTimeout: '0.0167m',
      job: { timeout: '10s', agentWaitSeconds: 9 },
    },
  },
  {
    what: 'a Job timeout one millisecond longer than the default agent wait',
    kind: 'RemediationPolicy',
    spec: { job: { timeout: '90.001s' } },
  },
  { what: 'a percentage of 100 (three digits)', kind: 'RemediationPolicy', spec: { maxUnhealthy: '100%' } },
  { what: 'a percentage with leading zeros', kind: 'RemediationPolicy', spec: { maxUnhealthy: '007%' } },
  { what: 'a count as a string', kind: 'RemediationPolicy', spec: { maxUnhealthy: '12345678' } },
  { what: 'a count of 0', kind: 'RemediationPolicy', spec: { maxUnhealthy: 0 } },
  {
    what: 'a node name of 253 characters',
    kind: 'NodeRemediation',
    spec: { nodeName: `${'a'.repeat(63)}.`.repeat(4).slice(0, 253), trigger: { source: 'CrashLoop' } },
  },
  {
    what: 'an AKS node name',
    kind: 'NodeRemediation',
    spec: { nodeName: 'aks-nodepool1-12345678-vmss000003', trigger: { source: 'CrashLoop' }, dryRun: true },
  },
];

export function objectOf(kind: CaseKind, name: string, spec: Record<string, unknown>) {
  return { apiVersion: API_VERSION, kind, metadata: { name }, spec };
}
