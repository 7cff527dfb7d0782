/**
 * Validation of custom resources against their CRD version's openAPIV3Schema, as a real API server does it:
 * prune unknown fields, drop disallowed nulls, apply defaults, then validate with ajv (a maintained JSON-schema
 * validator) and report each problem as the real server's field error (path, reason, message). The OpenAPI v3.0
 * dialect is translated to ajv's: boolean exclusiveMinimum/Maximum, x-kubernetes-int-or-string, formats.
 * Not evaluated: x-kubernetes-validations (CEL), list-type uniqueness, validation ratcheting.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { applyDefaults, pruneNulls, pruneUnknownFields, type OpenApiSchema } from './crd-pruning.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** One problem, as a metav1.StatusCause. */
export interface FieldError {
  field: string;
  reason:
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueTypeInvalid'
    | 'FieldValueInvalid'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany';
  message: string;
}

export interface CustomResourceSchema {
  /** Prunes, drops nulls and defaults `object` in place; returns the unknown fields it dropped. */
  normalize(object: Record<string, unknown>): string[];
  validate(object: Record<string, unknown>): FieldError[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= days;
}

function validDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  return m !== null && validDate(m[1]!) && Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4] ?? 0) < 60;
}

function validCidr(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix))
    return false;
  const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
  return Number(prefix) <= bits;
}

/** The formats Kubernetes checks in custom resources; any other format is accepted as is. */
const FORMATS: Record<string, (text: string) => boolean> = {
  'date-time': validDateTime,
  datetime: validDateTime,
  date: validDate,
  byte: (t) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t),
  uuid: (t) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(t),
  ipv4: (t) => isIPv4(t),
  ipv6: (t) => isIPv6(t),
  cidr: validCidr,
  mac: (t) => /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(t),
};

const KEPT = new Set([
  'type',
  'enum',
  'required',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'format',
  'nullable',
]);

/** The schema in ajv's dialect (draft-07 plus nullable), collecting the formats it names. */
function toAjv(s: OpenApiSchema, formats: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s)) if (KEPT.has(key)) out[key] = value;
  if (s['x-kubernetes-int-or-string'] === true && s.type === undefined) out.type = ['integer', 'string'];
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (typeof s.format === 'string') formats.add(s.format);
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toAjv(v, formats)]));
  }
  if (typeof s.additionalProperties === 'object')
    out.additionalProperties = toAjv(s.additionalProperties, formats);
  if (s.items) out.items = toAjv(s.items, formats);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[key];
    if (Array.isArray(list)) out[key] = list.map((x) => toAjv(x as OpenApiSchema, formats));
  }
  if (s.not && typeof s.not === 'object') out.not = toAjv(s.not as OpenApiSchema, formats);
  return out;
}

/** The root schema as validated: metadata is ObjectMeta, only its name and generateName rules apply. */
function rootForValidation(schema: OpenApiSchema): OpenApiSchema {
  const meta = schema.properties?.metadata;
  const rules: Record<string, OpenApiSchema> = {};
  for (const key of ['name', 'generateName']) if (meta?.properties?.[key]) rules[key] = meta.properties[key];
  const properties = { ...schema.properties, metadata: { type: 'object', properties: rules } };
  return { ...schema, properties };
}

/** Go's %v of a JSON value, as field errors print a bad value. */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function valueAt(object: unknown, pointer: string): unknown {
  let current = object;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    current =
      current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

/** A JSON pointer as a field path: /spec/parts/1/id -> spec.parts[1].id */
function fieldPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(key) ? `[${key}]` : path ? `.${key}` : key;
  }
  return path;
}

function fieldError(e: ErrorObject, object: unknown): FieldError | undefined {
  const path = fieldPath(e.instancePath);
  const value = valueAt(object, e.instancePath);
  const params = e.params as Record<string, unknown>;
  const invalid = (detail: string): FieldError => ({
    field: path,
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${goValue(value)}: ${path} in body ${detail}`,
  });
  switch (e.keyword) {
    case 'required': {
      const field = path ? `${path}.${String(params.missingProperty)}` : String(params.missingProperty);
      return { field, reason: 'FieldValueRequired', message: 'Required value' };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return {
        field: path,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${goValue(value)}: supported values: ${allowed}`,
      };
    }
    case 'type': {
      const type = Array.isArray(params.type) ? params.type.join(',') : String(params.type);
      const actual = jsonType(value);
      return {
        field: path,
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${actual}": ${path} in body must be of type ${type}: "${actual}"`,
      };
    }
    case 'format':
      return {
        field: path,
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${goValue(value)}: ${path} in body must be of type ${String(params.format)}: ${goValue(value)}`,
      };
    case 'maxLength':
      return {
        field: path,
        reason: 'FieldValueTooLong',
        message: `Too long: may not be more than ${String(params.limit)} bytes`,
      };
    case 'maxItems':
    case 'maxProperties': {
      const count = Array.isArray(value) ? value.length : Object.keys(value as object).length;
      return {
        field: path,
        reason: 'FieldValueTooMany',
        message: `Too many: ${count}: must have at most ${String(params.limit)} items`,
      };
    }
    case 'minLength':
      return invalid(`should be at least ${String(params.limit)} chars long`);
    case 'pattern':
      return invalid(`should match '${String(params.pattern)}'`);
    case 'minimum':
      return invalid(`should be greater than or equal to ${String(params.limit)}`);
    case 'exclusiveMinimum':
      return invalid(`should be greater than ${String(params.limit)}`);
    case 'maximum':
      return invalid(`should be less than or equal to ${String(params.limit)}`);
    case 'exclusiveMaximum':
      return invalid(`should be less than ${String(params.limit)}`);
    case 'minItems':
      return invalid(`should have at least ${String(params.limit)} items`);
    case 'minProperties':
      return invalid(`should have at least ${String(params.limit)} properties`);
    case 'uniqueItems':
      return invalid(`shouldn't contain duplicates`);
    case 'multipleOf':
      return invalid(`should be a multiple of ${String(params.multipleOf)}`);
    default:
      return invalid(e.message ?? e.keyword);
  }
}

/** kube-openapi checks a string's, and a number's, rules in this order and reports only the first that fails. */
const FIRST_FAILURE_ONLY = [
  ['maxLength', 'minLength', 'pattern'],
  ['multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum'],
];

function firstFailures(errors: ErrorObject[]): ErrorObject[] {
  const rank = (e: ErrorObject) => {
    for (const [group, order] of FIRST_FAILURE_ONLY.entries()) {
      const i = order.indexOf(e.keyword);
      if (i >= 0) return { key: `${group}\0${e.instancePath}`, i };
    }
    return undefined;
  };
  const best = new Map<string, number>();
  for (const e of errors) {
    const r = rank(e);
    if (r && (best.get(r.key) ?? Infinity) > r.i) best.set(r.key, r.i);
  }
  return errors.filter((e) => {
    const r = rank(e);
    return r === undefined || best.get(r.key) === r.i;
  });
}

function hasCelRules(s: unknown): boolean {
  if (s === null || typeof s !== 'object') return false;
  if (Array.isArray(s)) return s.some(hasCelRules);
  return 'x-kubernetes-validations' in s || Object.values(s).some(hasCelRules);
}

/** Errors after which a real server skips the CEL rules (x-kubernetes-validations), and says so. */
const BLOCKING = new Set([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);
const CEL_SKIPPED: FieldError = {
  field: '<nil>',
  reason: 'FieldValueInvalid',
  message:
    'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

const compiled = new Map<string, CustomResourceSchema>();

/** The same schema object, compiled: a write need not serialize its schema to find it. */
const bySchema = new WeakMap<OpenApiSchema, CustomResourceSchema>();

/** The compiled schema of one CRD version (compiled once per distinct schema). */
export function customResourceSchema(schema: OpenApiSchema): CustomResourceSchema {
  const known = bySchema.get(schema);
  if (known) return known;
  const key = JSON.stringify(schema);
  let result = compiled.get(key);
  if (result) {
    bySchema.set(schema, result);
    return result;
  }
  const formats = new Set<string>();
  const ajvSchema = toAjv(rootForValidation(schema), formats);
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  for (const format of formats) ajv.addFormat(format, FORMATS[format] ?? true);
  const check: ValidateFunction = ajv.compile(ajvSchema);
  const cel = hasCelRules(schema);
  result = {
    normalize(object) {
      const unknown = pruneUnknownFields(object, schema);
      pruneNulls(object, schema);
      applyDefaults(object, schema);
      return unknown;
    },
    validate(object) {
      if (check(object)) return [];
      const errors = firstFailures(check.errors ?? []).flatMap((e) => fieldError(e, object) ?? []);
      const seen = new Set<string>();
      const unique = errors.filter((e) => {
        const id = `${e.field}\0${e.message}`;
        return seen.has(id) ? false : (seen.add(id), true);
      });
      // The sim does not evaluate CEL rules; a real server skips them too after a blocking error, and says so.
      return cel && unique.some((e) => BLOCKING.has(e.reason)) ? [...unique, CEL_SKIPPED] : unique;
    },
  };
  compiled.set(key, result);
  bySchema.set(schema, result);
  return result;
}
