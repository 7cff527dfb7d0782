import { GROUP, NODE_REMEDIATION_KIND, REMEDIATION_POLICY_KIND } from '../../api/index.js';
import type { AdmissionLookups } from './lookups.js';
import { allow, invalid, type AdmissionRequest, type Verdict } from './review.js';
import { validateNodeRemediationCreate } from './validate-remediation.js';
import { validateRemediationPolicy } from './validate-policy.js';

/** Routes one admission request to its rule; anything the webhook has no rule for is allowed. */
export async function admit(request: AdmissionRequest, lookups: AdmissionLookups): Promise<Verdict> {
  if (request.kind.group !== GROUP) return allow();
  const kind = request.kind.kind;
  if (kind === NODE_REMEDIATION_KIND && request.operation === 'CREATE') {
    if (request.object === undefined) return invalid(['object: missing from the AdmissionReview']);
    return validateNodeRemediationCreate(request.object, lookups);
  }
  if (
    kind === REMEDIATION_POLICY_KIND &&
    (request.operation === 'CREATE' || request.operation === 'UPDATE')
  ) {
    if (request.object === undefined) return invalid(['object: missing from the AdmissionReview']);
    return validateRemediationPolicy(request.object, { allowedImages: lookups.allowedAgentImages ?? [] });
  }
  return allow();
}
