import { z } from 'zod';

/**
 * The agent's JSON results (schema version 1). The operator parses the remediate
 * result from the Job's termination message, so changes here must stay compatible.
 */

export const RESULT_SCHEMA_VERSION = 1;

export const backendSchema = z.enum(['nft', 'legacy']);
export const verdictSchema = z.enum(['present', 'missing', 'error']);

/** Why a check's answer cannot be known. Exit status 1 is a known "not found", so it has no failure. */
export const checkFailureSchema = z.enum([
  'binary-not-found',
  'timeout',
  'spawn-failed',
  'unexpected-exit-status',
]);

export const chainCheckSchema = z.object({
  binary: z.string(),
  backend: backendSchema,
  chain: z.string(),
  table: z.string(),
  exitCode: z.number().int().nullable(),
  found: z.boolean(),
  stderr: z.string(),
  failure: checkFailureSchema.nullable(),
});

export const familyProbeSchema = z.object({
  verdict: verdictSchema,
  backend: backendSchema.nullable(),
  checks: z.array(chainCheckSchema),
});

export const probeResultSchema = familyProbeSchema.extend({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  /** IPv6 is information only: it never changes the verdict. Null when not probed. */
  ipv6: familyProbeSchema.nullable(),
});

export const outcomeSchema = z.enum([
  'Restarted',
  'ChainsPresent',
  'ChainsStillMissing',
  'RestartFailed',
  'ProbeError',
]);

export const causeSchema = z.enum(['KubeletInitRace', 'KubeletInitFailed', 'Unknown']);

export const initLineSchema = z.object({
  kind: z.enum(['failed', 'initialized']),
  /** ISO 8601 UTC from the journal, null when the prefix could not be read. */
  timestamp: z.string().nullable(),
  protocol: z.string().nullable(),
  line: z.string(),
});

export const unitStateSchema = z.object({
  activeState: z.string().nullable(),
  /** ISO 8601 UTC, null when the unit never became active or the time could not be read. */
  activeEnterTimestamp: z.string().nullable(),
});

export const evidenceSchema = z.object({
  /** The last "Failed to initialize" / "Initialized" iptables lines of the current boot, oldest first. */
  initLines: z.array(initLineSchema),
  kubelet: unitStateSchema.nullable(),
  iptables: unitStateSchema.nullable(),
  /** What could not be collected (evidence is best effort). */
  errors: z.array(z.string()),
});

export const agentResultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  outcome: outcomeSchema,
  message: z.string(),
  unit: z.string(),
  before: probeResultSchema,
  /** Null when nothing was attempted after the first probe. */
  after: probeResultSchema.nullable(),
  kubeletRestarted: z.boolean(),
  /** Null when evidence was not collected (chains present). */
  evidence: evidenceSchema.nullable(),
  cause: causeSchema.nullable(),
  durationMs: z.number().int().nonnegative(),
  /** True when parts were left out to fit the termination message. */
  truncated: z.boolean(),
});

export type Backend = z.infer<typeof backendSchema>;
export type Verdict = z.infer<typeof verdictSchema>;
export type CheckFailure = z.infer<typeof checkFailureSchema>;
export type ChainCheck = z.infer<typeof chainCheckSchema>;
export type FamilyProbe = z.infer<typeof familyProbeSchema>;
export type ProbeResult = z.infer<typeof probeResultSchema>;
export type Outcome = z.infer<typeof outcomeSchema>;
export type Cause = z.infer<typeof causeSchema>;
export type InitLine = z.infer<typeof initLineSchema>;
export type UnitState = z.infer<typeof unitStateSchema>;
export type Evidence = z.infer<typeof evidenceSchema>;
export type AgentResult = z.infer<typeof agentResultSchema>;
