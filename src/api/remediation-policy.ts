import { z } from 'zod';
import { ConditionSchema } from './condition.js';
import { ObjectMetaSchema } from './node-remediation.js';
import {
  celRules,
  DURATION_FORMAT,
  DURATION_MAX_LENGTH,
  DURATION_PATTERN,
  minimumDuration,
} from './validation.js';

/**
 * Every field is optional: `effectivePolicy` (src/config/policy.ts) applies the defaults and parses
 * durations and percentages, so the same validation serves the operator and the admission webhook. The
 * CRD checks what needs no other object; the rules that read the defaults are added by crd.ts
 * (src/api/policy-rules.ts).
 */
const DURATION_REGEX = new RegExp(DURATION_PATTERN);

/** A duration field: `what` it is, and optionally a minimum the CRD enforces (CEL) as the operator does. */
function duration(what: string, min?: string) {
  return z
    .string()
    .max(DURATION_MAX_LENGTH)
    .regex(DURATION_REGEX, {
      error: (issue) => `"${String(issue.input)}" is not a duration (use e.g. "90s", "10m", "1h30m")`,
    })
    .optional()
    .meta({
      description: `${what} ${DURATION_FORMAT}`,
      ...(min ? celRules(minimumDuration(min)) : {}),
    });
}

export const OnFailureSchema = z.enum(['KeepCordoned', 'Uncordon']);
export type OnFailure = z.infer<typeof OnFailureSchema>;

/** What the operator's parser accepts for maxUnhealthy (src/config/policy.ts), as one CEL rule. */
const MAX_UNHEALTHY_RULE = {
  rule: "type(self) == int ? self >= 0 : self.matches('^([0-9]+|([0-9]{1,2}|0[0-9]{2}|100)%)$')",
  message: 'must be a node count (an integer >= 0) or a percentage between "0%" and "100%"',
};

export const RemediationPolicySpecSchema = z
  .object({
    paused: z
      .boolean()
      .optional()
      .describe(
        'No new attempts or Jobs; a running Job, verification and uncordoning still finish. Default false.',
      ),
    dryRun: z
      .boolean()
      .optional()
      .describe(
        'No cordon; the Job only probes the chains (`agent probe`) and the NodeRemediation ends Skipped/DryRun. ' +
          'Default false.',
      ),
    maxConcurrent: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('Remediations holding a slot (Cordoning to Uncordoning) at once, 1..1000. Default 1.'),
    maxUnhealthy: z
      .union([z.number().int().min(0), z.string().max(8)])
      .optional()
      .meta({
        'x-kubernetes-int-or-string': true,
        maxLength: 8,
        description:
          'Storm guard: no remediation starts while more nodes than this are affected. A node count (0, 5) or ' +
          'a percentage of linux nodes ("0%".."100%", rounded up, at least 1). Default "10%".',
        ...celRules(MAX_UNHEALTHY_RULE),
      }),
    crashLoopRestartThreshold: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('Container restarts before a crash loop counts, 1..1000. Default 3.'),
    signatures: z
      .array(z.string().min(1).max(1024))
      .max(32)
      .optional()
      .meta({
        // Not in zod: the operator reports an empty list in its own words ("must not be empty").
        minItems: 1,
        description:
          'Regular expressions (JavaScript syntax) matched against the previous container log, 1..32. One ' +
          'that matches an empty log is refused (it would confirm every crash loop). Default: the azure-npm ' +
          'detection failure message.',
      }),
    target: z
      .object({
        namespace: z
          .string()
          .min(1)
          .max(63)
          .optional()
          .describe('Namespace of the DaemonSet (the RBAC Role must be moved too). Default kube-system.'),
        daemonSet: z
          .string()
          .min(1)
          .max(253)
          .optional()
          .describe('The DaemonSet whose pods are watched. Default azure-npm.'),
        container: z
          .string()
          .min(1)
          .max(63)
          .optional()
          .describe('The container whose restarts and log count. Default azure-npm.'),
      })
      .optional()
      .describe('The DaemonSet whose crash-looping pods are remediated.'),
    cooldown: duration(
      'Minimum time between two attempts on one node; must not exceed attemptWindow. Default 10m.',
    ),
    maxAttemptsPerNode: z
      .number()
      .int()
      .min(1)
      .max(20)
      .optional()
      .describe(
        'Attempts per node within attemptWindow (1..20); then Failed/MaxAttemptsExceeded. Default 3.',
      ),
    attemptWindow: duration('The window for maxAttemptsPerNode, at least 1s. Default 1h.', '1s'),
    job: z
      .object({
        timeout: duration(
          "The Job's activeDeadlineSeconds, at least 10s; must be longer than agentWaitSeconds. Default 5m.",
          '10s',
        ),
        agentWaitSeconds: z
          .number()
          .int()
          .min(1)
          .max(3600)
          .optional()
          .describe(
            'How long the agent waits for kubelet and the chains after the restart, 1..3600; shorter than ' +
              'timeout. Default 90.',
          ),
        ttlAfterFinished: duration(
          "The Job's ttlSecondsAfterFinished (its log is the evidence). Default 1h.",
        ),
        image: z
          .string()
          .min(1)
          .max(512)
          .optional()
          .describe(
            "Image of the agent Job (it runs privileged on the node). Must be the operator's --agent-image or one " +
              'of its --allowed-agent-images: any other makes the policy invalid. Default: --agent-image.',
          ),
      })
      .optional()
      .describe('The remediation Job run on the node.'),
    verifyTimeout: duration(
      'How long the target pod may take to become Ready after the fix, at least 1s; then ' +
        'Failed/VerifyTimeout. Default 5m.',
      '1s',
    ),
    deleteCrashingPod: z
      .boolean()
      .optional()
      .describe(
        'Delete the crash-looping pod after the fix so it restarts without waiting out its back-off. ' +
          'Default true.',
      ),
    onFailure: OnFailureSchema.optional().describe(
      'KeepCordoned keeps a failed node cordoned (NetworkPolicy is not enforced there); Uncordon releases ' +
        'it. Default KeepCordoned.',
    ),
    audit: z
      .object({
        enabled: z
          .boolean()
          .optional()
          .describe(
            'Probe Jobs (`agent probe`, read-only) find latent nodes: after each kubelet start, on a rolling ' +
              'schedule, and on the nodes of a storm. False: the operator runs no probe Job. Default true.',
          ),
        afterKubeletStart: duration(
          'How long after a kubelet start (its Starting Event, or a new bootID) the node is probed, at least 1s. ' +
            'Default 2m.',
          '1s',
        ),
        interval: duration(
          'Every Linux node is probed at least this often, spread evenly over the interval; at least 1m. ' +
            'Default 24h.',
          '1m',
        ),
        maxConcurrentProbes: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe('Probe Jobs running at once, fleet-wide, 1..100. Default 3.'),
      })
      .optional()
      .describe(
        'Latent nodes: the chains are missing while azure-npm still runs (it checks only when it starts). ' +
          'Opted-out, Windows, NotReady nodes and nodes the cluster is operating on are never probed.',
      ),
  })
  .describe('Every field is optional: the default applies to a field left out.');
export type RemediationPolicySpec = z.infer<typeof RemediationPolicySpecSchema>;

/** The fleet view the operator publishes on the `default` policy. */
export const RemediationPolicyStatusSchema = z
  .object({
    linuxNodes: z.number().int().min(0).optional().describe('Linux nodes in the cluster.'),
    optedOutNodes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Nodes opted out (annotation chainmedic.io/opt-out: "true").'),
    affectedNodes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Linux nodes whose target pod crash-loops, or that have an active remediation.'),
    activeRemediations: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Remediations holding a maxConcurrent slot.'),
    stormGuard: z
      .object({
        active: z.boolean().describe('More nodes are affected than the limit: no remediation starts.'),
        affected: z.number().int().min(0).describe('Affected nodes.'),
        limit: z.number().int().min(0).describe('maxUnhealthy resolved to a node count.'),
      })
      .optional()
      .describe('The storm guard (maxUnhealthy).'),
    unconfirmedCrashLoops: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Crash loops whose log matched no signature: counted, never remediated.'),
    rejectedNodes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Nodes whose latest remediation failed because the API server refused one of its calls (condition Degraded).',
      ),
    lastDetection: z.iso.datetime().optional().describe('When a crash loop was last confirmed.'),
    audit: z
      .object({
        eligibleNodes: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Linux nodes the audit may probe (Ready, not opted out, not being operated on).'),
        probedWithinInterval: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Of those, probed within audit.interval (the Node condition KubeletIPTablesInitFailed).'),
        probesRunning: z.number().int().min(0).optional().describe('Probe Jobs running now.'),
        chainsMissing: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Linux nodes whose last probe found the chains missing (condition True).'),
        lastProbe: z.iso.datetime().optional().describe('When a probe last finished.'),
      })
      .optional()
      .describe('The fleet audit: coverage and findings. Each node shows its own in its Node condition.'),
    storm: z
      .object({
        id: z
          .string()
          .max(63)
          .describe(
            'The storm: annotate the policy chainmedic.io/release-storm=<id> to let remediation proceed at ' +
              'maxConcurrent until this storm ends.',
          ),
        since: z.iso.datetime().describe('When the storm guard started holding.'),
        released: z.boolean().optional().describe('An SRE released this storm (the annotation names it).'),
        suspect: z
          .enum(['image', 'kubelet', 'unknown'])
          .optional()
          .describe(
            "image: the probed nodes' chains are present (azure-npm cannot see them); kubelet: they are missing.",
          ),
        headline: z.string().max(1024).optional().describe('What most affected nodes share.'),
        groups: z
          .array(
            z.object({
              attribute: z
                .string()
                .max(63)
                .describe('finding, npmImage, nodeImageVersion, agentPool, osImage, kernelVersion or zone.'),
              value: z.string().max(512).describe('The value the nodes share.'),
              affected: z.number().int().min(0).describe('Affected nodes with this value.'),
              fleet: z.number().int().min(0).describe('Linux nodes with this value.'),
            }),
          )
          .max(10)
          .optional()
          .describe('The most telling attributes the affected nodes share, most telling first.'),
      })
      .optional()
      .describe('The storm the guard holds, explained (absent when there is none).'),
    conditions: z
      .array(ConditionSchema)
      .max(16)
      .optional()
      .describe(
        'Ready (False, reason InvalidPolicy, names every problem of an invalid spec), Paused, StormActive and ' +
          'Degraded (the API server refuses remediations).',
      ),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The metadata.generation this status was written for.'),
  })
  .describe('Written by the operator on the policy named "default": the fleet view.');
export type RemediationPolicyStatus = z.infer<typeof RemediationPolicyStatusSchema>;

export const RemediationPolicySchema = z.object({
  apiVersion: z.literal('chainmedic.io/v1alpha1'),
  kind: z.literal('RemediationPolicy'),
  metadata: ObjectMetaSchema,
  spec: RemediationPolicySpecSchema.optional(),
  status: RemediationPolicyStatusSchema.optional(),
});
export type RemediationPolicy = z.infer<typeof RemediationPolicySchema>;
