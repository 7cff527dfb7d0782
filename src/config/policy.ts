import { errorMessage } from '../errors.js';
import { RemediationPolicySpecSchema, type OnFailure, type RemediationPolicySpec } from '../api/index.js';
import { parseDuration } from './duration.js';

/** The azure-npm crash message (the incident); matched against the previous container log. */
export const DEFAULT_SIGNATURE =
  'failed to detect iptables version: unable to locate which iptables version kube proxy is using';

export type MaxUnhealthy = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

/** The policy with every default applied and every value parsed: what the operator computes with. */
export interface EffectivePolicy {
  paused: boolean;
  dryRun: boolean;
  maxConcurrent: number;
  maxUnhealthy: MaxUnhealthy;
  crashLoopRestartThreshold: number;
  /** Compiled once, here. */
  signatures: RegExp[];
  target: { namespace: string; daemonSet: string; container: string };
  cooldownMs: number;
  maxAttemptsPerNode: number;
  attemptWindowMs: number;
  job: { timeoutSeconds: number; agentWaitSeconds: number; ttlAfterFinishedSeconds: number; image?: string };
  verifyTimeoutMs: number;
  deleteCrashingPod: boolean;
  onFailure: OnFailure;
  audit: { enabled: boolean; afterKubeletStartMs: number; intervalMs: number; maxConcurrentProbes: number };
}

export const DEFAULT_POLICY_SPEC = {
  paused: false,
  dryRun: false,
  maxConcurrent: 1,
  maxUnhealthy: '10%',
  crashLoopRestartThreshold: 3,
  signatures: [escapeRegExp(DEFAULT_SIGNATURE)],
  target: { namespace: 'kube-system', daemonSet: 'azure-npm', container: 'azure-npm' },
  cooldown: '10m',
  maxAttemptsPerNode: 3,
  attemptWindow: '1h',
  job: { timeout: '5m', agentWaitSeconds: 90, ttlAfterFinished: '1h' },
  verifyTimeout: '5m',
  deleteCrashingPod: true,
  onFailure: 'KeepCordoned',
  audit: { enabled: true, afterKubeletStart: '2m', interval: '24h', maxConcurrentProbes: 3 },
} as const satisfies RemediationPolicySpec;

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type PolicyResult = { ok: true; policy: EffectivePolicy } | { ok: false; errors: string[] };

export class PolicyError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid RemediationPolicy: ${errors.join('; ')}`);
    this.name = 'PolicyError';
  }
}

/**
 * What the operator itself was given: the agent image runs privileged on every node it remediates, so a policy
 * may only name an image the operator's own configuration allows (--agent-image, --allowed-agent-images).
 */
export interface PolicyContext {
  allowedImages: readonly string[];
}

/**
 * Validates a spec (possibly absent) and applies defaults; every problem is reported as `field: why`. Without a
 * context no spec.job.image is allowed.
 */
export function validatePolicy(input: unknown, context: PolicyContext = { allowedImages: [] }): PolicyResult {
  const parsed = RemediationPolicySpecSchema.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map(
        (issue) => `spec.${issue.path.join('.') || '(root)'}: ${issue.message}`,
      ),
    };
  }
  const spec = parsed.data;
  const d = DEFAULT_POLICY_SPEC;
  const errors: string[] = [];

  const duration = (field: string, value: string | undefined, fallback: string, min = 0): number => {
    const text = value ?? fallback;
    const ms = parseDuration(text);
    if (ms === null) {
      errors.push(`spec.${field}: "${text}" is not a duration (use e.g. "90s", "10m", "1h30m")`);
      return 0;
    }
    if (ms < min) errors.push(`spec.${field}: "${text}" is shorter than the minimum of ${min / 1000}s`);
    return ms;
  };

  const maxUnhealthy = parseMaxUnhealthy(spec.maxUnhealthy ?? d.maxUnhealthy);
  if (typeof maxUnhealthy === 'string') errors.push(`spec.maxUnhealthy: ${maxUnhealthy}`);

  const signatures: RegExp[] = [];
  (spec.signatures ?? d.signatures).forEach((source, i) => {
    try {
      const regex = new RegExp(source);
      // Such a signature would confirm every crash loop, whatever its log says.
      if (regex.test(''))
        errors.push(
          `spec.signatures[${i}]: /${source}/ matches an empty log, so every crash loop would confirm`,
        );
      signatures.push(regex);
    } catch (err) {
      errors.push(`spec.signatures[${i}]: not a valid regular expression (${errorMessage(err)})`);
    }
  });
  if (spec.signatures && spec.signatures.length === 0) errors.push('spec.signatures: must not be empty');
  const image = spec.job?.image;
  if (image !== undefined && !context.allowedImages.includes(image)) {
    errors.push(
      `spec.job.image: "${image}" is not an agent image this operator may run (it runs privileged on every node): ` +
        `allowed are ${context.allowedImages.map((i) => `"${i}"`).join(', ') || 'none'} ` +
        `(the operator's --agent-image and --allowed-agent-images); remove spec.job.image to use --agent-image`,
    );
  }

  const cooldownMs = duration('cooldown', spec.cooldown, d.cooldown);
  const attemptWindowMs = duration('attemptWindow', spec.attemptWindow, d.attemptWindow, 1000);
  const timeoutMs = duration('job.timeout', spec.job?.timeout, d.job.timeout, 10_000);
  const ttlMs = duration('job.ttlAfterFinished', spec.job?.ttlAfterFinished, d.job.ttlAfterFinished);
  const verifyTimeoutMs = duration('verifyTimeout', spec.verifyTimeout, d.verifyTimeout, 1000);
  const agentWaitSeconds = spec.job?.agentWaitSeconds ?? d.job.agentWaitSeconds;
  const afterKubeletStartMs = duration(
    'audit.afterKubeletStart',
    spec.audit?.afterKubeletStart,
    d.audit.afterKubeletStart,
    1000,
  );
  const auditIntervalMs = duration('audit.interval', spec.audit?.interval, d.audit.interval, 60_000);
  if (errors.length === 0 && cooldownMs > attemptWindowMs) {
    errors.push(
      'spec.cooldown: must not be longer than spec.attemptWindow (attempts would never share a window)',
    );
  }
  if (errors.length === 0 && agentWaitSeconds * 1000 >= timeoutMs) {
    errors.push(
      `spec.job.agentWaitSeconds: ${agentWaitSeconds}s must be shorter than spec.job.timeout (${timeoutMs / 1000}s)`,
    );
  }
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    policy: {
      paused: spec.paused ?? d.paused,
      dryRun: spec.dryRun ?? d.dryRun,
      maxConcurrent: spec.maxConcurrent ?? d.maxConcurrent,
      maxUnhealthy: maxUnhealthy as MaxUnhealthy,
      crashLoopRestartThreshold: spec.crashLoopRestartThreshold ?? d.crashLoopRestartThreshold,
      signatures,
      target: {
        namespace: spec.target?.namespace ?? d.target.namespace,
        daemonSet: spec.target?.daemonSet ?? d.target.daemonSet,
        container: spec.target?.container ?? d.target.container,
      },
      cooldownMs,
      maxAttemptsPerNode: spec.maxAttemptsPerNode ?? d.maxAttemptsPerNode,
      attemptWindowMs,
      job: {
        timeoutSeconds: Math.ceil(timeoutMs / 1000),
        agentWaitSeconds,
        ttlAfterFinishedSeconds: Math.ceil(ttlMs / 1000),
        ...(spec.job?.image ? { image: spec.job.image } : {}),
      },
      verifyTimeoutMs,
      deleteCrashingPod: spec.deleteCrashingPod ?? d.deleteCrashingPod,
      onFailure: spec.onFailure ?? d.onFailure,
      audit: {
        enabled: spec.audit?.enabled ?? d.audit.enabled,
        afterKubeletStartMs,
        intervalMs: auditIntervalMs,
        maxConcurrentProbes: spec.audit?.maxConcurrentProbes ?? d.audit.maxConcurrentProbes,
      },
    },
  };
}

/** The policy the operator uses: defaults when `spec` is absent; throws PolicyError listing every bad value. */
export function effectivePolicy(
  spec: RemediationPolicySpec | undefined,
  context?: PolicyContext,
): EffectivePolicy {
  const result = validatePolicy(spec, context);
  if (!result.ok) throw new PolicyError(result.errors);
  return result.policy;
}

function parseMaxUnhealthy(value: number | string): MaxUnhealthy | string {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0
      ? { kind: 'count', value }
      : `${value} must be an integer >= 0`;
  }
  const percent = /^(\d{1,3})%$/.exec(value);
  if (percent && Number(percent[1]) <= 100) return { kind: 'percent', value: Number(percent[1]) };
  if (/^\d+$/.test(value)) return { kind: 'count', value: Number(value) };
  return `"${value}" must be an integer or a percentage between "0%" and "100%"`;
}

/**
 * The storm-guard limit for a fleet of `linuxNodes`. A percentage rounds up and is at least 1, so one broken
 * node in a small cluster can still be remediated; an explicit count (even 0) is taken as is.
 */
export function resolveMaxUnhealthy(limit: MaxUnhealthy, linuxNodes: number): number {
  if (limit.kind === 'count') return limit.value;
  return Math.max(1, Math.ceil((linuxNodes * limit.value) / 100));
}
