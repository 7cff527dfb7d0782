/**
 * The environment the operator's process gets for its runtime, as the Deployment runs it
 * (src/operator/runtime.ts). The bench's operator and the baseline run "with the operator's flags" both take it
 * from here, so the two stay alike.
 */
import { OPERATOR_RUNTIME_ENV } from '../../src/operator/runtime.js';

export function operatorRuntimeEnv(): Record<string, string> {
  return { ...OPERATOR_RUNTIME_ENV };
}
