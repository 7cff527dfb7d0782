import { DEFAULT_POLICY_NAME } from '../../api/index.js';
import { validatePolicy, type PolicyContext } from '../../config/policy.js';
import { allow, invalid, type Verdict } from './review.js';

/**
 * Everything `validatePolicy` checks (schema, durations, percentages, regexes and one that matches an empty log,
 * cooldown vs attempt window, agent wait vs Job timeout, an agent image the operator was not configured to
 * allow): the operator refuses the same policies the webhook does.
 *
 * The CRD enforces all but the signatures' checks itself (test/api/validation-cases.ts says which is where), and
 * the API server applies the CRD before it calls this webhook, so with the current CRDs only the signatures'
 * checks fire here. The rest stays: it is the operator's own validation (it costs nothing), and it still guards
 * a cluster whose CRDs are older than the operator.
 */
export function validateRemediationPolicy(object: unknown, context: PolicyContext): Verdict {
  const typed = object as { metadata?: { name?: string }; spec?: unknown } | undefined;
  const result = validatePolicy(typed?.spec, context);
  if (!result.ok) return invalid(result.errors);

  const name = typed?.metadata?.name;
  if (name && name !== DEFAULT_POLICY_NAME) {
    return allow([
      `only the RemediationPolicy named "${DEFAULT_POLICY_NAME}" is used; "${name}" has no effect`,
    ]);
  }
  return allow();
}
