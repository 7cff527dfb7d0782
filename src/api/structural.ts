/**
 * Turns zod 4's JSON Schema (OpenAPI 3.0 flavour) into the structural schema Kubernetes accepts
 * (apiextensions.k8s.io/v1): no $schema/$ref/const, no `additionalProperties: false` next to properties,
 * int-or-string as `x-kubernetes-int-or-string`, no regex duplicated next to a known format, and no
 * "maximum: 2^53-1" noise that zod adds for every int. CEL rules (`x-kubernetes-validations`) come from zod's
 * `.meta()` or from `addValidations`.
 */
import type { CelRule } from './validation.js';

type JsonSchema = Record<string, unknown>;

const SAFE = Number.MAX_SAFE_INTEGER;
const VALIDATIONS = 'x-kubernetes-validations';
/** What an int-or-string node keeps besides the marker: the union's branches become one untyped node. */
const INT_OR_STRING_KEEPS = ['description', 'maxLength', VALIDATIONS];

export function toStructural(schema: unknown, path = '$'): JsonSchema {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new Error(`${path}: expected a schema object`);
  }
  const input = schema as JsonSchema;
  if ('$ref' in input) throw new Error(`${path}: $ref is not allowed in a structural schema (inline it)`);
  if (VALIDATIONS in input) checkRules(input[VALIDATIONS], path);
  if (input['x-kubernetes-int-or-string'] === true) {
    return {
      'x-kubernetes-int-or-string': true,
      ...Object.fromEntries(INT_OR_STRING_KEEPS.filter((k) => k in input).map((k) => [k, input[k]])),
    };
  }
  if ('anyOf' in input || 'oneOf' in input || 'allOf' in input || Array.isArray(input.type)) {
    throw new Error(`${path}: unions are not structural; mark int-or-string fields or restructure`);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case '$schema':
      case 'id':
      case '$id':
        break;
      case 'const':
        out.enum = [value];
        break;
      case 'additionalProperties':
        if (value && typeof value === 'object') out.additionalProperties = toStructural(value, `${path}.*`);
        break;
      case 'pattern':
        if (input.format !== 'date-time') out.pattern = value;
        break;
      case 'maximum':
        if (value !== SAFE) out.maximum = value;
        break;
      case 'minimum':
        if (value !== -SAFE) out.minimum = value;
        break;
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, unknown>).map(([name, sub]) => [
            name,
            toStructural(sub, `${path}.${name}`),
          ]),
        );
        break;
      case 'items':
        out.items = toStructural(value, `${path}[]`);
        break;
      default:
        out[key] = value;
    }
  }
  // The description first, wherever zod put it: the YAML reads like `kubectl explain`.
  const { description, ...rest } = out;
  return description === undefined ? out : { description, ...rest };
}

function checkRules(rules: unknown, path: string): void {
  const ok =
    Array.isArray(rules) &&
    rules.every(
      (r: Partial<CelRule>) =>
        typeof r === 'object' && typeof r.rule === 'string' && r.rule !== '' && typeof r.message === 'string',
    );
  if (!ok) throw new Error(`${path}: ${VALIDATIONS} must be a list of { rule, message }`);
}

/**
 * Appends CEL rules to the nodes of a structural schema, by dotted property path ('' = the schema itself,
 * 'job' = properties.job). A path that names no object property is an error: a renamed field must not leave
 * its rule behind silently.
 */
export function addValidations(schema: JsonSchema, byPath: Record<string, CelRule[]>): JsonSchema {
  const out = structuredClone(schema);
  for (const [path, rules] of Object.entries(byPath)) {
    let node: JsonSchema | undefined = out;
    for (const name of path === '' ? [] : path.split('.')) {
      node = (node?.properties as Record<string, JsonSchema> | undefined)?.[name];
    }
    if (!node || node.type !== 'object') throw new Error(`addValidations: no object at "${path}"`);
    checkRules(rules, path);
    node[VALIDATIONS] = [...((node[VALIDATIONS] as CelRule[] | undefined) ?? []), ...rules];
  }
  return out;
}
