/**
 * What the CRDs check besides types and bounds: the formats (a pattern the API server, zod and the simulated
 * cluster all apply) and the CEL rules (`x-kubernetes-validations`, the API server only). Every pattern is
 * written without backslashes, so the same text is a JSON-schema pattern (RE2 and ECMAScript) and a CEL
 * string literal.
 */

/** A Node name, as Kubernetes validates it: a DNS-1123 subdomain, at most 253 characters. */
export const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS1123_SUBDOMAIN_MESSAGE =
  'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit';

/**
 * The durations the API accepts: one or more `<number><unit>`, unit `h`, `m`, `s` or `ms` (src/config/duration.ts
 * parses exactly these, and Go's time.ParseDuration, which CEL's `duration()` is, parses each to the same value).
 * Two limits keep the three in agreement:
 * - a whole number of milliseconds: at most 5 decimals on `h`, 4 on `m`, 3 on `s`, none on `ms` (the parser rounds
 *   to a millisecond, Go keeps nanoseconds, so a comparison of sub-millisecond values could differ);
 * - at most 5 digits before `h` (99999h is 11 years), 7 before `m`, 9 before `s`, 12 before `ms`: with the
 *   32-character limit no duration reaches Go's maximum (2562047h), past which `duration()` fails.
 */
export const DURATION_PATTERN =
  '^([0-9]{1,5}([.][0-9]{1,5})?h|[0-9]{1,7}([.][0-9]{1,4})?m|[0-9]{1,9}([.][0-9]{1,3})?s|[0-9]{1,12}ms)+$';
export const DURATION_MAX_LENGTH = 32;
export const DURATION_FORMAT =
  'A duration: one or more <number><unit>, unit h, m, s or ms, e.g. "500ms", "90s", "10m", "1h30m", "1.5h" ' +
  '(whole milliseconds; at most 32 characters).';

/** One entry of `x-kubernetes-validations` (apiextensions.k8s.io/v1 ValidationRule). */
export interface CelRule {
  rule: string;
  message: string;
  /** Where the API server reports a failure, relative to the node the rule is on (e.g. `.cooldown`). */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The zod `.meta()` that puts rules on a schema node. */
export function celRules(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/**
 * `expr` (a CEL string) parses as a duration. Rules that call `duration()` check this first: a value the
 * pattern already refuses must not fail a second time as "type conversion error ... evaluating rule".
 */
export function celIsDuration(expr: string): string {
  return `${expr}.matches('${DURATION_PATTERN}')`;
}

/** A CEL string literal ('...') of `text`; only for texts without quotes or backslashes. */
export function celString(text: string): string {
  if (/['"\\]/.test(text)) throw new Error(`not a plain CEL string: ${text}`);
  return `'${text}'`;
}

/** A rule on a duration field: at least `min` (a duration the pattern accepts). */
export function minimumDuration(min: string): CelRule {
  return {
    rule: `!${celIsDuration('self')} || duration(self) >= duration(${celString(min)})`,
    message: `must be at least ${min}`,
  };
}

/** A rule on a field that may be set once: on update it must stay as it is. */
export function immutable(what: string): CelRule {
  return { rule: 'self == oldSelf', message: `is immutable: ${what}` };
}
