import { EXIT_USAGE } from '../exit-codes.js';
import type { Outcome, Verdict } from './result.js';

/** `agent probe`: 0 present, 1 missing, 2 could not check (also usage errors, EXIT_USAGE). */
export const PROBE_EXIT: Record<Verdict, number> = { present: 0, missing: 1, error: 2 };

/** `agent remediate`: 0 when nothing more is needed here; one code per other outcome. 2 is EXIT_USAGE. */
export const REMEDIATE_EXIT: Record<Outcome, number> = {
  Restarted: 0,
  ChainsPresent: 0,
  ChainsStillMissing: 3,
  RestartFailed: 4,
  ProbeError: 5,
};

/** The result is on stdout but could not be written to the termination log. */
export const EXIT_TERMINATION_LOG_UNWRITABLE = 6;
/** A bug: something threw that should not have. */
export const EXIT_INTERNAL = 70;

export { EXIT_USAGE };
