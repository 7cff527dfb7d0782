/**
 * The RemediationPolicy's cross-field rules as CEL, for the CRD (crd.ts adds them to the generated schema).
 * They read the operator's defaults for fields left out, so they live apart from the zod schema, which
 * src/config/policy.ts (where the defaults are) imports. Each rule agrees with a check of `validatePolicy` or of
 * the admission webhook; test/api/validation-cases.ts lists which check lives where.
 */
import { DEFAULT_POLICY_SPEC } from '../config/policy.js';
import { celIsDuration, celString, type CelRule } from './validation.js';

/** `self.<field>`, or the default when it is left out. */
const valueOr = (field: string, fallback: string | number) =>
  `(has(self.${field}) ? self.${field} : ${typeof fallback === 'number' ? String(fallback) : celString(fallback)})`;

/** The rule holds unless one of the duration fields is set and malformed (the pattern reports that one). */
function whenDurationsParse(fields: readonly string[], rule: string): string {
  const malformed = fields.map((f) => `(has(self.${f}) && !${celIsDuration(`self.${f}`)})`);
  return `${malformed.join(' || ')} || ${rule}`;
}

/** Rules by the path of the schema node they sit on, relative to `spec` ('' = spec itself). */
export function policySpecRules(): Record<string, CelRule[]> {
  const defaults = DEFAULT_POLICY_SPEC;
  const cooldown = valueOr('cooldown', defaults.cooldown);
  const attemptWindow = valueOr('attemptWindow', defaults.attemptWindow);
  const timeout = valueOr('timeout', defaults.job.timeout);
  const agentWait = valueOr('agentWaitSeconds', defaults.job.agentWaitSeconds);
  return {
    '': [
      {
        rule: whenDurationsParse(
          ['cooldown', 'attemptWindow'],
          `duration(${cooldown}) <= duration(${attemptWindow})`,
        ),
        message: `must not be longer than spec.attemptWindow (attempts would never share a window); unset, cooldown is ${defaults.cooldown} and attemptWindow ${defaults.attemptWindow}`,
        fieldPath: '.cooldown',
      },
    ],
    job: [
      {
        rule: whenDurationsParse(['timeout'], `duration(${timeout}).getMilliseconds() > ${agentWait} * 1000`),
        message: `must be shorter than spec.job.timeout; unset, agentWaitSeconds is ${defaults.job.agentWaitSeconds} and timeout ${defaults.job.timeout}`,
        fieldPath: '.agentWaitSeconds',
      },
    ],
  };
}
