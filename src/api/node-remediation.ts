import { z } from 'zod';
import { ConditionSchema } from './condition.js';
import { celRules, DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MESSAGE, immutable } from './validation.js';

export const TriggerSourceSchema = z.enum(['CrashLoop', 'Manual', 'Audit']);
export type TriggerSource = z.infer<typeof TriggerSourceSchema>;

/** Why the operator probed a node whose chains it then found missing (trigger.source Audit). */
export const ProbeReasonSchema = z.enum(['KubeletStarted', 'Rebooted', 'Rolling', 'Storm']);
export type ProbeReason = z.infer<typeof ProbeReasonSchema>;

/** What started the episode. For CrashLoop, the pod fields identify the crash-looping azure-npm pod. */
export const TriggerSchema = z.object({
  source: TriggerSourceSchema.describe(
    'CrashLoop: the operator confirmed a crash loop of the target container whose previous log matched a ' +
      'signature. Manual: created by a person (the admission webhook checks the node). Audit: a probe Job of the ' +
      'operator found the chains missing while azure-npm still ran (a latent node).',
  ),
  pod: z.string().max(253).optional().describe('Name of the crash-looping pod (namespace = policy target).'),
  podUid: z.string().max(128).optional().describe('UID of the crash-looping pod: the episode identity.'),
  container: z.string().max(253).optional().describe('The crash-looping container of that pod.'),
  restartCount: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("The container's restart count when the crash loop was confirmed."),
  signature: z.string().max(1024).optional().describe('The log line that matched a detection signature.'),
  observedAt: z.iso
    .datetime()
    .optional()
    .describe('When the crash loop was confirmed, or the probe found the chains missing (RFC 3339).'),
  probeJob: z.string().max(63).optional().describe('Audit: the probe Job that found the chains missing.'),
  probeReason: ProbeReasonSchema.optional().describe(
    'Audit: why the node was probed: KubeletStarted (a Starting Event of kubelet), Rebooted (a new bootID), ' +
      'Rolling (the fleet audit) or Storm (explaining a storm).',
  ),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const NodeRemediationSpecSchema = z
  .object({
    nodeName: z
      .string()
      .max(253)
      .regex(new RegExp(DNS1123_SUBDOMAIN), DNS1123_SUBDOMAIN_MESSAGE)
      .meta({
        description:
          'The Node to remediate: a Node name (a DNS-1123 subdomain, at most 253 characters). Immutable.',
        ...celRules(immutable('a NodeRemediation is about one node; create another one for another node')),
      }),
    trigger: TriggerSchema.describe('What started the episode.'),
    dryRun: z
      .boolean()
      .optional()
      .describe(
        'Probe only: the Job runs `agent probe`, the node is neither cordoned nor is kubelet restarted.',
      ),
  })
  .describe('Which node, and why. Set when the episode is recorded.');
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
  verdict: z
    .enum(['present', 'missing', 'error'])
    .describe('present: a chain was found; missing: none was; error: the chains could not be checked.'),
  backend: z.enum(['nft', 'legacy']).optional().describe('Absent when no chain was found.'),
  azureNpmWouldFind: z
    .enum(['nft', 'legacy', 'none', 'unknown'])
    .optional()
    .describe(
      "What azure-npm's own detection concludes from the same exit codes: the backend it would pick, none (it " +
        'crash-loops) or unknown (a probe timed out). A verdict that disagrees with it is reported in an Event.',
    ),
  iptablesVersionMismatch: z
    .string()
    .max(1024)
    .optional()
    .describe(
      "The agent's iptables and the host's report different versions (e.g. container iptables-nft 1.8.10 " +
        '(nf_tables) vs host iptables 1.8.9 (nf_tables)): iptables-nft may read rules written by another version ' +
        'differently.',
    ),
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
  before: ProbeSummarySchema.optional().describe('The probe before anything was done.'),
  after: ProbeSummarySchema.optional().describe('The probe after the kubelet restart.'),
  outcome: AgentOutcomeSchema.optional().describe('Absent for a dry-run probe.'),
  cause: z
    .string()
    .max(256)
    .optional()
    .describe(
      "Why kubelet's iptables init failed, from its journal: KubeletInitRace, KubeletInitFailed or Unknown.",
    ),
  kubeletRestarted: z.boolean().optional().describe('The agent restarted kubelet.'),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/** One attempt = at most one kubelet restart. Kept in status so attempt limits survive operator restarts. */
export const AttemptSchema = z.object({
  attempt: z.number().int().min(1).describe('The attempt number, from 1.'),
  jobName: z.string().max(63).describe("The attempt's Job."),
  startTime: z.iso.datetime().describe('When the attempt started.'),
  completionTime: z.iso.datetime().optional().describe('When the attempt ended.'),
  reason: z.string().max(128).optional().describe('How the attempt ended (CamelCase).'),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const NodeRemediationStatusSchema = z
  .object({
    phase: PhaseSchema.optional().describe(
      'Pending, Waiting (a gate that may open later), Cordoning, Remediating, Verifying, Uncordoning; at the ' +
        'end Succeeded, Skipped (nothing to do) or Failed (a human must look).',
    ),
    reason: z.string().max(128).optional().describe('CamelCase, machine-readable.'),
    message: z.string().max(4096).optional().describe('Human-readable and actionable.'),
    finalPhase: FinalPhaseSchema.optional().describe(
      'While Uncordoning: the phase reached once the cordon is released.',
    ),
    attempt: z.number().int().min(0).optional().describe('The current attempt (0 before the first).'),
    attempts: z
      .array(AttemptSchema)
      .max(32)
      .optional()
      .describe('Every attempt, oldest first: each is at most one kubelet restart.'),
    jobName: z.string().max(63).optional().describe('The Job of the current attempt.'),
    jobSeen: z
      .boolean()
      .optional()
      .describe('The Job of the current attempt was observed; it is never re-created.'),
    dryRun: z.boolean().optional().describe('The current attempt only probes.'),
    wasUnschedulable: z
      .boolean()
      .optional()
      .describe('The node was already cordoned before chainmedic touched it: chainmedic never uncordons it.'),
    cordonedByUs: z
      .boolean()
      .optional()
      .describe('chainmedic cordoned the node (its chainmedic.io/cordoned-by annotation names this object).'),
    agent: AgentStatusSchema.optional().describe(
      'What the node agent reported for the current attempt (a summary; the Job has the full result).',
    ),
    podDeleted: z
      .string()
      .max(128)
      .optional()
      .describe('UID of the crash-looping pod deleted after the fix.'),
    podDeleteRejected: z
      .boolean()
      .optional()
      .describe(
        'The API server refused deleting the crash-looping pod: verification waits for it to restart on its own.',
      ),
    startTime: z.iso.datetime().optional().describe('When the first attempt started.'),
    verifyStartTime: z.iso
      .datetime()
      .optional()
      .describe('When verification (waiting for the target pod to become Ready) started.'),
    completionTime: z.iso
      .datetime()
      .optional()
      .describe('When the remediation reached Succeeded, Skipped or Failed.'),
    conditions: z
      .array(ConditionSchema)
      .max(16)
      .optional()
      .describe('Completed, and KubeletRestarted (True once the agent restarted kubelet).'),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The metadata.generation this status was written for.'),
  })
  .describe('Written by the operator only: where the remediation is, and what happened.');
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
