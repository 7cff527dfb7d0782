/**
 * The environment the operator's process gets for its runtime, as the Deployment runs it (its NODE_OPTIONS:
 * src/operator/runtime.ts). The bench's operator and the baseline run "with the operator's flags" both take it
 * from here, so the two stay alike.
 */
import { OPERATOR_NODE_OPTIONS } from '../../src/operator/runtime.js';

export function operatorRuntimeEnv(): Record<string, string> {
  return { NODE_OPTIONS: OPERATOR_NODE_OPTIONS };
}
