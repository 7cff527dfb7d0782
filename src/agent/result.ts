import { z } from 'zod';

/**
 * The agent's JSON results (schema version 1). The operator parses the remediate
 * result from the Job's termination message, so changes here must stay compatible:
 * objects are parsed in zod's default (strip) mode, so a field added here is dropped,
 * not refused, by an operator built before it, and every field added since the first
 * release is optional, so this operator still reads a result from an older agent.
 * Adding an optional field needs no new schemaVersion; changing or removing one does.
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
  /**
   * The legacy (x_tables) tables that existed in the network namespace before the first
   * legacy listing (/proc/net/ip_tables_names, ip6_tables_names for IPv6); null when that
   * file could not be read. A legacy listing that exits 3 is "not found" only when the
   * table it lists is absent here. Absent from results of agents before this field.
   */
  legacyTables: z.array(z.string()).nullable().optional(),
});

/**
 * What azure-npm's detectIptablesVersion would conclude from the same listings: the backend
 * it would pick, `none` (it exits "unable to locate which iptables version kube proxy is
 * using" and crash-loops), or `unknown` (a listing we stopped at its timeout, which azure-npm
 * would still be waiting for). It counts every non-zero exit status as not found, and a
 * binary that could not be started as found (its runner drops errors without an exit status).
 */
export const azureNpmDecisionSchema = z.enum(['nft', 'legacy', 'none', 'unknown']);

/** `<binary> --version`: "iptables v1.8.9 (nf_tables)" gives version 1.8.9, mode nf_tables. */
export const binaryVersionSchema = z.object({
  binary: z.string(),
  /** Null when the version could not be read (see `error`). */
  version: z.string().nullable(),
  mode: z.enum(['nf_tables', 'legacy']).nullable(),
  /** Why the version is unknown: binary-not-found, timeout, "exit status 1: <stderr>", unparsed output. */
  error: z.string().nullable(),
});

export const versionsSchema = z.object({
  /** The binaries the probe ran, in the agent's container. */
  container: z.array(binaryVersionSchema),
  /** The host's iptables, iptables-nft and iptables-legacy (through nsenter into the host's mount namespace). */
  host: z.array(binaryVersionSchema),
  /**
   * True when a container binary and a host binary of the same mode (nf_tables or legacy)
   * report different versions. False also when no pair could be compared (see the errors).
   */
  mismatch: z.boolean(),
});

export const probeResultSchema = familyProbeSchema.extend({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  /** IPv6 is information only: it never changes the verdict. Null when not probed. */
  ipv6: familyProbeSchema.nullable(),
  /** IPv4 only (azure-npm never looks at ip6tables). Absent from results of agents before this field. */
  azureNpmWouldFind: azureNpmDecisionSchema.optional(),
  /** Null when not collected (the probes after a restart); absent from results of agents before this field. */
  versions: versionsSchema.nullable().optional(),
  /** `agent probe` only: true when parts (stderr excerpts, version errors, checks) were left out to fit the termination message. */
  truncated: z.boolean().optional(),
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
  /**
   * Where initLines come from: `grep`, the unit's init lines of the current boot however much
   * else it logged (journalctl --grep, the last 200 matches); `scan`, the init lines among the
   * unit's last 2000 lines (where journalctl cannot match patterns or --grep failed); null
   * when neither could be read. Absent from results of agents before this field.
   */
  journalSource: z.enum(['grep', 'scan']).nullable().optional(),
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
export type AzureNpmDecision = z.infer<typeof azureNpmDecisionSchema>;
export type BinaryVersion = z.infer<typeof binaryVersionSchema>;
export type Versions = z.infer<typeof versionsSchema>;
export type Outcome = z.infer<typeof outcomeSchema>;
export type Cause = z.infer<typeof causeSchema>;
export type InitLine = z.infer<typeof initLineSchema>;
export type UnitState = z.infer<typeof unitStateSchema>;
export type Evidence = z.infer<typeof evidenceSchema>;
export type AgentResult = z.infer<typeof agentResultSchema>;
