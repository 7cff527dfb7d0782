import { z } from 'zod';
import { ConditionSchema } from './condition.js';
import { ObjectMetaSchema } from './node-remediation.js';

/**
 * Every field is optional: `effectivePolicy` (src/config/policy.ts) applies the defaults and parses
 * durations and percentages, so the same validation serves the operator and, later, the admission webhook.
 */
const duration = () => z.string().min(1).max(32).describe('A duration such as "90s", "10m", "1h30m".');

export const OnFailureSchema = z.enum(['KeepCordoned', 'Uncordon']);
export type OnFailure = z.infer<typeof OnFailureSchema>;

export const RemediationPolicySpecSchema = z.object({
  paused: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  maxConcurrent: z.number().int().min(1).max(1000).optional(),
  maxUnhealthy: z
    .union([z.number().int().min(0), z.string().max(8)])
    .optional()
    .meta({
      'x-kubernetes-int-or-string': true,
      description: 'Storm guard: a node count or a percentage ("10%") of linux nodes.',
    }),
  crashLoopRestartThreshold: z.number().int().min(1).max(1000).optional(),
  signatures: z.array(z.string().min(1).max(1024)).max(32).optional(),
  target: z
    .object({
      namespace: z.string().min(1).max(63).optional(),
      daemonSet: z.string().min(1).max(253).optional(),
      container: z.string().min(1).max(63).optional(),
    })
    .optional(),
  cooldown: duration().optional(),
  maxAttemptsPerNode: z.number().int().min(1).max(20).optional(),
  attemptWindow: duration().optional(),
  job: z
    .object({
      timeout: duration().optional(),
      agentWaitSeconds: z.number().int().min(1).max(3600).optional(),
      ttlAfterFinished: duration().optional(),
      image: z.string().min(1).max(512).optional(),
    })
    .optional(),
  verifyTimeout: duration().optional(),
  deleteCrashingPod: z.boolean().optional(),
  onFailure: OnFailureSchema.optional(),
});
export type RemediationPolicySpec = z.infer<typeof RemediationPolicySpecSchema>;

/** The fleet view the operator publishes on the `default` policy. */
export const RemediationPolicyStatusSchema = z.object({
  linuxNodes: z.number().int().min(0).optional(),
  optedOutNodes: z.number().int().min(0).optional(),
  affectedNodes: z.number().int().min(0).optional(),
  activeRemediations: z.number().int().min(0).optional(),
  stormGuard: z
    .object({
      active: z.boolean(),
      affected: z.number().int().min(0),
      limit: z.number().int().min(0),
    })
    .optional(),
  unconfirmedCrashLoops: z.number().int().min(0).optional(),
  lastDetection: z.iso.datetime().optional(),
  conditions: z.array(ConditionSchema).max(16).optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type RemediationPolicyStatus = z.infer<typeof RemediationPolicyStatusSchema>;

export const RemediationPolicySchema = z.object({
  apiVersion: z.literal('chainmedic.io/v1alpha1'),
  kind: z.literal('RemediationPolicy'),
  metadata: ObjectMetaSchema,
  spec: RemediationPolicySpecSchema.optional(),
  status: RemediationPolicyStatusSchema.optional(),
});
export type RemediationPolicy = z.infer<typeof RemediationPolicySchema>;
