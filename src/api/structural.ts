/**
 * Turns zod 4's JSON Schema (OpenAPI 3.0 flavour) into the structural schema Kubernetes accepts
 * (apiextensions.k8s.io/v1): no $schema/$ref/const, no `additionalProperties: false` next to properties,
 * int-or-string as `x-kubernetes-int-or-string`, no regex duplicated next to a known format, and no
 * "maximum: 2^53-1" noise that zod adds for every int.
 */
type JsonSchema = Record<string, unknown>;

const SAFE = Number.MAX_SAFE_INTEGER;

export function toStructural(schema: unknown, path = '$'): JsonSchema {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new Error(`${path}: expected a schema object`);
  }
  const input = schema as JsonSchema;
  if ('$ref' in input) throw new Error(`${path}: $ref is not allowed in a structural schema (inline it)`);
  if (input['x-kubernetes-int-or-string'] === true) {
    return {
      'x-kubernetes-int-or-string': true,
      ...(typeof input.description === 'string' ? { description: input.description } : {}),
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
  return out;
}
