/** What the rest of chainmedic (operator, simulated cluster) uses from the node agent. */
export { probeChains, type ProbeOptions } from './probe.js';
export { decideVerdict, classifyListing } from './verdict.js';
export { azureNpmDecision } from './azure-npm.js';
export { describeVersionMismatch, versionsMismatch, parseVersionOutput } from './versions.js';
export { readLegacyTables, DEFAULT_PROC_NET } from './legacy-tables.js';
export { remediate, outcomeAfterRestart, type RemediateDeps } from './remediate.js';
export { serializeProbe, serializeResult, TERMINATION_MESSAGE_LIMIT } from './serialize.js';
export {
  restartUnit,
  isActiveUnit,
  showUnitStart,
  unitJournal,
  unitJournalInitLines,
  iptablesVersion,
  HOST_IPTABLES_BINARIES,
  isValidUnitName,
  IPTABLES_UNIT,
  NSENTER_PREFIX,
} from './host-commands.js';
export { listChainCommand, HINT_CHAIN, CANARY_CHAIN } from './chains.js';
export { PROBE_EXIT, REMEDIATE_EXIT, EXIT_TERMINATION_LOG_UNWRITABLE, EXIT_INTERNAL } from './exit-codes.js';
export * from './result.js';
export type { Runner, CommandResult, RunOptions } from './runner.js';
export { processRunner } from './runner.js';
