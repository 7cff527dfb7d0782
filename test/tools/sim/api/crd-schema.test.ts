import { customResourceSchema, type FieldError } from '../../../../tools/sim/api/crd-schema.js';
import type { OpenApiSchema } from '../../../../tools/sim/api/crd-pruning.js';

// The sim's custom-resource admission, case by case; conformance.test.ts (control-plane group) checks the same
// behaviour against a real kube-apiserver.

const schema: OpenApiSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['color'],
      properties: {
        color: { type: 'string', enum: ['red', 'blue'] },
        size: { 'x-kubernetes-int-or-string': true },
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
        name: { type: 'string', maxLength: 5, pattern: '^[a-z]+$' },
        note: { type: 'string', nullable: true },
        gone: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { n: { type: 'integer' } },
        },
        parts: {
          type: 'array',
          maxItems: 2,
          items: { type: 'object', properties: { kind: { type: 'string', default: 'bolt' } } },
        },
        when: { type: 'string', format: 'date-time' },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

const object = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'x.io/v1',
  kind: 'Gadget',
  metadata: { name: 'g' },
  spec: { color: 'red', ...spec },
  ...extra,
});

const causes = (errors: FieldError[]) => errors.map((e) => `${e.field}: ${e.reason}`).sort();

describe('custom resource schema', () => {
  const s = customResourceSchema(schema);

  it('prunes unknown fields, names them as the real server does, and keeps preserved subtrees', () => {
    const o = object(
      { extra: 1, parts: [{}, { kind: 'nut', x: 1 }], free: { any: { thing: 1 }, n: 2 } },
      { top: true, metadata: { name: 'g', bogus: 1 } },
    );
    expect(s.normalize(o)).toEqual(['metadata.bogus', 'spec.extra', 'spec.parts[1].x', 'top']);
    expect(o).toEqual({
      apiVersion: 'x.io/v1',
      kind: 'Gadget',
      metadata: { name: 'g' },
      spec: {
        color: 'red',
        replicas: 1,
        parts: [{ kind: 'bolt' }, { kind: 'nut' }],
        free: { any: { thing: 1 }, n: 2 },
      },
    });
  });

  it('drops nulls the schema does not allow, keeps nullable ones, defaults missing fields', () => {
    const o = object({ gone: null, note: null, replicas: null });
    s.normalize(o);
    expect(o.spec).toEqual({ color: 'red', note: null, replicas: 1 });
  });

  it('an object with no properties declared loses every field', () => {
    const o = object({}, { status: { phase: 'Ready', other: 1 } });
    expect(s.normalize(o)).toEqual(['status.other']);
  });

  it('accepts a valid object', () => {
    const o = object({ size: '5%', when: '2026-11-30T00:00:00Z', labels: { a: 'b' } });
    s.normalize(o);
    expect(s.validate(o)).toEqual([]);
    expect(s.validate(object({ size: 5 }))).toEqual([]);
  });

  it('reports each problem as a field error, worded as the real server words it', () => {
    const o = object({
      color: 'pink',
      size: true,
      replicas: 1.5,
      ratio: 0,
      labels: { a: 1 },
      parts: [{}, {}, {}],
      when: 'soon',
    });
    s.normalize(o);
    const errors = s.validate(o);
    expect(causes(errors)).toEqual([
      'spec.color: FieldValueNotSupported',
      'spec.labels.a: FieldValueTypeInvalid',
      'spec.parts: FieldValueTooMany',
      'spec.ratio: FieldValueInvalid',
      'spec.replicas: FieldValueTypeInvalid',
      'spec.size: FieldValueTypeInvalid',
      'spec.when: FieldValueTypeInvalid',
    ]);
    const message = (field: string) => errors.find((e) => e.field === field)?.message;
    expect(message('spec.color')).toBe('Unsupported value: "pink": supported values: "red", "blue"');
    expect(message('spec.size')).toBe(
      'Invalid value: "boolean": spec.size in body must be of type integer,string: "boolean"',
    );
    expect(message('spec.replicas')).toBe(
      'Invalid value: "number": spec.replicas in body must be of type integer: "number"',
    );
    expect(message('spec.ratio')).toBe('Invalid value: 0: spec.ratio in body should be greater than 0');
    expect(message('spec.parts')).toBe('Too many: 3: must have at most 2 items');
    expect(message('spec.when')).toBe(
      'Invalid value: "soon": spec.when in body must be of type date-time: "soon"',
    );
  });

  it('a missing required field, and a string that fails several rules reports the first', () => {
    const o = { apiVersion: 'x.io/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { name: 'ABCDEFG' } };
    expect(s.validate(o).sort((a, b) => a.field.localeCompare(b.field))).toEqual([
      { field: 'spec.color', reason: 'FieldValueRequired', message: 'Required value' },
      { field: 'spec.name', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 5 bytes' },
    ]);
    expect(s.validate(object({ name: 'AB' }))).toEqual([
      {
        field: 'spec.name',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "AB": spec.name in body should match '^[a-z]+$'`,
      },
    ]);
  });

  it('with CEL rules in the schema, a blocking error says the rules were not checked', () => {
    const withCel = customResourceSchema({
      ...schema,
      'x-kubernetes-validations': [{ rule: 'true' }],
    });
    expect(causes(withCel.validate(object({ color: 'pink' })))).toEqual([
      '<nil>: FieldValueInvalid',
      'spec.color: FieldValueNotSupported',
    ]);
    // A non-blocking error (a minimum) leaves the rules to run: nothing more is said.
    expect(causes(withCel.validate(object({ ratio: -1 })))).toEqual(['spec.ratio: FieldValueInvalid']);
  });
});
