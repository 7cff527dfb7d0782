/**
 * What a real API server does to a custom resource before validating it, following
 * apiextensions-apiserver's structural schema algorithms: unknown fields are pruned (and named, for
 * fieldValidation Warn/Strict), nulls the schema does not allow are dropped, defaults are applied.
 * Pure: the object is changed in place; the schema is the CRD version's openAPIV3Schema.
 */

/** The parts of an OpenAPI v3 schema that pruning and defaulting read. */
export interface OpenApiSchema {
  type?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [keyword: string]: unknown;
}

type Json = Record<string, unknown>;

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** ObjectMeta's fields: a custom resource's metadata keeps only these. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const isObject = (x: unknown): x is Json => x !== null && typeof x === 'object' && !Array.isArray(x);

function mapSchema(s: OpenApiSchema | undefined): OpenApiSchema | undefined {
  return typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined;
}

function childSchema(s: OpenApiSchema | undefined, key: string): OpenApiSchema | undefined {
  return s?.properties?.[key] ?? mapSchema(s);
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Drops the fields the schema does not declare (where x-kubernetes-preserve-unknown-fields does not keep them)
 * and returns their paths, sorted, as the real server names them (`spec.parts[1].extra`). At the root (and in
 * embedded resources) apiVersion, kind and metadata stay; unknown metadata fields are dropped and listed first.
 */
export function pruneUnknownFields(object: Json, schema: OpenApiSchema): string[] {
  const metadata: string[] = [];
  if (isObject(object.metadata)) {
    for (const key of Object.keys(object.metadata)) {
      if (OBJECT_META_FIELDS.has(key)) continue;
      delete object.metadata[key];
      metadata.push(`metadata.${key}`);
    }
  }
  const unknown: string[] = [];
  prune(object, { ...schema, 'x-kubernetes-embedded-resource': true }, '', unknown);
  return [...metadata.sort(), ...unknown.sort()];
}

function prune(x: unknown, s: OpenApiSchema | undefined, path: string, unknown: string[]): void {
  if (s?.['x-kubernetes-preserve-unknown-fields'] === true) return skipPrune(x, s, path, unknown);
  if (Array.isArray(x)) {
    x.forEach((v, i) => prune(v, s?.items, `${path}[${i}]`, unknown));
    return;
  }
  if (!isObject(x)) return;
  for (const key of Object.keys(x)) {
    if (s?.['x-kubernetes-embedded-resource'] && META_FIELDS.has(key)) continue;
    const child = childSchema(s, key);
    if (s && child) prune(x[key], child, join(path, key), unknown);
    else {
      if (!META_FIELDS.has(key) || path !== '') unknown.push(join(path, key));
      delete x[key];
    }
  }
}

/** Below x-kubernetes-preserve-unknown-fields: unknown fields stay, declared ones are still pruned inside. */
function skipPrune(x: unknown, s: OpenApiSchema, path: string, unknown: string[]): void {
  if (Array.isArray(x)) {
    if (s.items) x.forEach((v, i) => skipPrune(v, s.items!, `${path}[${i}]`, unknown));
    return;
  }
  if (!isObject(x)) return;
  for (const key of Object.keys(x)) {
    if (s['x-kubernetes-embedded-resource'] && META_FIELDS.has(key)) continue;
    const child = childSchema(s, key);
    if (child) prune(x[key], child, join(path, key), unknown);
  }
}

const nonNullableNull = (x: unknown, s: OpenApiSchema | undefined) =>
  x === null && s !== undefined && s.nullable !== true;

/** Drops nulls the schema does not allow and that no default will replace. */
export function pruneNulls(x: unknown, s: OpenApiSchema | undefined): void {
  if (Array.isArray(x)) {
    for (const v of x) pruneNulls(v, s?.items);
    return;
  }
  if (!isObject(x)) return;
  for (const key of Object.keys(x)) {
    const child = childSchema(s, key);
    if (nonNullableNull(x[key], child) && child!.default === undefined) delete x[key];
    else pruneNulls(x[key], child);
  }
}

const copy = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

/** Applies the schema's defaults where a field is missing (or a null it does not allow). */
export function applyDefaults(x: unknown, s: OpenApiSchema | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    x.forEach((v, i) => {
      if (nonNullableNull(v, s.items) && s.items?.default !== undefined) x[i] = copy(s.items.default);
      applyDefaults(x[i], s.items);
    });
    return;
  }
  if (!isObject(x)) return;
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    if (prop.default === undefined) continue;
    if (!(key in x) || nonNullableNull(x[key], prop)) x[key] = copy(prop.default);
  }
  const map = mapSchema(s);
  for (const key of Object.keys(x)) {
    const prop = s.properties?.[key];
    if (prop) applyDefaults(x[key], prop);
    else if (map) {
      if (nonNullableNull(x[key], map) && map.default !== undefined) x[key] = copy(map.default);
      applyDefaults(x[key], map);
    }
  }
}
