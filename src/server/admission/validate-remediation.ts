import { errorMessage } from '../../errors.js';
import { NodeRemediationSpecSchema, OPT_OUT_ANNOTATION } from '../../api/index.js';
import { observeNode, OS_LABEL } from '../../remediation/observe-node.js';
import type { AdmissionLookups } from './lookups.js';
import { allow, forbidden, invalid, type Verdict } from './review.js';

function issuesOf(error: { issues: { path: PropertyKey[]; message: string }[] }, prefix: string): string[] {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`);
}

/**
 * A NodeRemediation created by a person (trigger.source Manual) must name a Linux node that exists, is not
 * opted out and has no remediation in flight. Remediations the operator creates itself are not second-guessed.
 * A lookup that fails does not block the request: it is allowed with a warning (the operator re-checks all of
 * this before it acts).
 */
export async function validateNodeRemediationCreate(
  object: unknown,
  lookups: AdmissionLookups,
): Promise<Verdict> {
  const spec = (object as { spec?: unknown } | undefined)?.spec;
  const parsed = NodeRemediationSpecSchema.safeParse(spec);
  if (!parsed.success) return invalid(issuesOf(parsed.error, 'spec'));
  if (parsed.data.trigger.source !== 'Manual') return allow();

  const nodeName = parsed.data.nodeName;
  let node;
  let active;
  try {
    [node, active] = await Promise.all([lookups.getNode(nodeName), lookups.activeRemediationFor(nodeName)]);
  } catch (err) {
    return allow([`could not check node "${nodeName}" (${errorMessage(err)}); the operator will`]);
  }
  if (!node) return invalid([`spec.nodeName: node "${nodeName}" does not exist`]);

  const observed = observeNode(node);
  const problems: string[] = [];
  if (observed.os !== 'linux') {
    problems.push(
      `spec.nodeName: node "${nodeName}" is not a Linux node (label ${OS_LABEL}=${observed.os ?? '<unset>'}); chainmedic only remediates Linux nodes`,
    );
  }
  if (observed.optOut === 'true') {
    problems.push(
      `spec.nodeName: node "${nodeName}" is opted out (annotation ${OPT_OUT_ANNOTATION}="true"); remove the annotation first`,
    );
  }
  if (active) {
    problems.push(
      `spec.nodeName: node "${nodeName}" already has an active NodeRemediation "${active}"; wait for it to finish`,
    );
  }
  return problems.length > 0 ? forbidden(problems) : allow();
}
