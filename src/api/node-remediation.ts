import { z } from 'zod';
import { ConditionSchema } from './condition.js';

export const TriggerSourceSchema = z.enum(['CrashLoop', 'Manual', 'Audit']);
export type TriggerSource = z.infer<typeof TriggerSourceSchema>;

/** What started the episode. For CrashLoop, the pod fields identify the crash-looping azure-npm pod. */
export const TriggerSchema = z.object({
  source: TriggerSourceSchema,
  pod: z.string().max(253).optional().describe('Name of the crash-looping pod (namespace = policy target).'),
  podUid: z.string().max(128).optional().describe('UID of the crash-looping pod: the episode identity.'),
  container: z.string().max(253).optional(),
  restartCount: z.number().int().min(0).optional(),
  signature: z.string().max(1024).optional().describe('The log line that matched a detection signature.'),
  observedAt: z.iso.datetime().optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const NodeRemediationSpecSchema = z.object({
  nodeName: z.string().min(1).max(253),
  trigger: TriggerSchema,
  dryRun: z
    .boolean()
    .optional()
    .describe(
      'Probe only: the Job runs `agent probe`, the node is neither cordoned nor is kubelet restarted.',
    ),
});
export type NodeRemediationSpec = z.infer<typeof NodeRemediationSpecSchema>;

export const PHASES = [
  'Pending',
  'Waiting',
  'Cordoning',
  'Remediating',
  'Verifying',
  'Uncordoning',
  'Succeeded',
  'Skipped',
  'Failed',
] as const;
export const PhaseSchema = z.enum(PHASES);
export type Phase = z.infer<typeof PhaseSchema>;

export const TERMINAL_PHASES: readonly Phase[] = ['Succeeded', 'Skipped', 'Failed'];
/** Phases that hold one of the policy's maxConcurrent slots. */
export const SLOT_PHASES: readonly Phase[] = ['Cordoning', 'Remediating', 'Verifying', 'Uncordoning'];

export const FinalPhaseSchema = z.enum(['Succeeded', 'Skipped', 'Failed']);
export type FinalPhase = z.infer<typeof FinalPhaseSchema>;

export function isTerminal(phase: Phase | undefined): boolean {
  return phase !== undefined && TERMINAL_PHASES.includes(phase);
}

export const ProbeSummarySchema = z.object({
  verdict: z.enum(['present', 'missing', 'error']),
  backend: z.enum(['nft', 'legacy']).optional().describe('Absent when no chain was found.'),
});
export type ProbeSummary = z.infer<typeof ProbeSummarySchema>;

export const AgentOutcomeSchema = z.enum([
  'Restarted',
  'ChainsPresent',
  'ChainsStillMissing',
  'RestartFailed',
  'ProbeError',
]);
export type AgentOutcome = z.infer<typeof AgentOutcomeSchema>;

/** What the node agent reported for the current attempt (a summary; the Job's termination message has more). */
export const AgentStatusSchema = z.object({
  before: ProbeSummarySchema.optional(),
  after: ProbeSummarySchema.optional(),
  outcome: AgentOutcomeSchema.optional().describe('Absent for a dry-run probe.'),
  cause: z.string().max(256).optional(),
  kubeletRestarted: z.boolean().optional(),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/** One attempt = at most one kubelet restart. Kept in status so attempt limits survive operator restarts. */
export const AttemptSchema = z.object({
  attempt: z.number().int().min(1),
  jobName: z.string().max(63),
  startTime: z.iso.datetime(),
  completionTime: z.iso.datetime().optional(),
  reason: z.string().max(128).optional(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const NodeRemediationStatusSchema = z.object({
  phase: PhaseSchema.optional(),
  reason: z.string().max(128).optional().describe('CamelCase, machine-readable.'),
  message: z.string().max(4096).optional().describe('Human-readable and actionable.'),
  finalPhase: FinalPhaseSchema.optional().describe(
    'While Uncordoning: the phase reached once the cordon is released.',
  ),
  attempt: z.number().int().min(0).optional(),
  attempts: z.array(AttemptSchema).max(32).optional(),
  jobName: z.string().max(63).optional(),
  jobSeen: z
    .boolean()
    .optional()
    .describe('The Job of the current attempt was observed; it is never re-created.'),
  dryRun: z.boolean().optional().describe('The current attempt only probes.'),
  wasUnschedulable: z.boolean().optional(),
  cordonedByUs: z.boolean().optional(),
  agent: AgentStatusSchema.optional(),
  podDeleted: z.string().max(128).optional().describe('UID of the crash-looping pod deleted after the fix.'),
  startTime: z.iso.datetime().optional(),
  verifyStartTime: z.iso.datetime().optional(),
  completionTime: z.iso.datetime().optional(),
  conditions: z.array(ConditionSchema).max(16).optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type NodeRemediationStatus = z.infer<typeof NodeRemediationStatusSchema>;

export const ObjectMetaSchema = z.object({
  name: z.string().min(1).max(253),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** The whole object as the operator reads it (metadata trimmed to what it uses). */
export const NodeRemediationSchema = z.object({
  apiVersion: z.literal('chainmedic.io/v1alpha1'),
  kind: z.literal('NodeRemediation'),
  metadata: ObjectMetaSchema,
  spec: NodeRemediationSpecSchema,
  status: NodeRemediationStatusSchema.optional(),
});
export type NodeRemediation = z.infer<typeof NodeRemediationSchema>;
