import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { z } from 'zod';
import { buildCrds, renderCrdYaml } from '../../src/api/crd.js';
import { addValidations, toStructural } from '../../src/api/structural.js';

const dir = join(process.cwd(), 'manifests', 'crds');
const crds = buildCrds();

function walk(
  value: unknown,
  visit: (node: Record<string, unknown>, path: string) => void,
  path = '$',
): void {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) return value.forEach((v, i) => walk(v, visit, `${path}[${i}]`));
  visit(value as Record<string, unknown>, path);
  for (const [k, v] of Object.entries(value)) walk(v, visit, `${path}.${k}`);
}

describe('CRDs', () => {
  it.each(Object.keys(crds))('committed %s equals the generator output (run `make crds`)', (file) => {
    expect(readFileSync(join(dir, file), 'utf8')).toBe(renderCrdYaml(crds[file]!));
  });

  it.each(Object.keys(crds))('%s is structural: no $ref, $schema, anyOf, const, closed objects', (file) => {
    const schema = parse(readFileSync(join(dir, file), 'utf8')).spec.versions[0].schema.openAPIV3Schema;
    const problems: string[] = [];
    walk(schema, (node, path) => {
      for (const key of ['$ref', '$schema', 'anyOf', 'oneOf', 'const'])
        if (key in node) problems.push(`${path}.${key}`);
      if (node.additionalProperties === false) problems.push(`${path}.additionalProperties`);
      if (
        node.type === 'object' &&
        node.properties === undefined &&
        node.additionalProperties === undefined
      ) {
        if (path !== '$.properties.metadata') problems.push(`${path}: object without properties`);
      }
    });
    expect(problems).toEqual([]);
  });

  it.each(Object.keys(crds))(
    '%s validates as an apiextensions.k8s.io/v1 CustomResourceDefinition',
    (file) => {
      const crd = new CustomResourceDefinition(parse(readFileSync(join(dir, file), 'utf8')));
      expect(() => crd.validate()).not.toThrow();
      const broken = new CustomResourceDefinition({
        ...crds[file],
        spec: { ...(crds[file]!.spec as object), scope: 1 },
      } as never);
      expect(() => broken.validate()).toThrow();
    },
  );

  it('NodeRemediation: cluster-scoped, short name nrem, status subresource, printer columns', () => {
    const crd = parse(readFileSync(join(dir, 'chainmedic.io_noderemediations.yaml'), 'utf8'));
    expect(crd.metadata.name).toBe('noderemediations.chainmedic.io');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names.shortNames).toEqual(['nrem']);
    expect(crd.spec.names.categories).toEqual(['chainmedic']);
    const version = crd.spec.versions[0];
    expect(version.name).toBe('v1alpha1');
    expect(version.subresources).toEqual({ status: {} });
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['Node', 'Source', 'Phase', 'Reason', 'Age']),
    );
  });

  it('RemediationPolicy.maxUnhealthy is int-or-string', () => {
    const crd = parse(readFileSync(join(dir, 'chainmedic.io_remediationpolicies.yaml'), 'utf8'));
    const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(spec.properties.maxUnhealthy).toMatchObject({ 'x-kubernetes-int-or-string': true });
    expect(spec.properties.maxUnhealthy.type).toBeUndefined();
  });

  it('toStructural rejects what Kubernetes would reject', () => {
    expect(() => toStructural(z.toJSONSchema(z.union([z.string(), z.number()])))).toThrow(/unions/);
    expect(() => toStructural({ type: 'object', properties: { a: { $ref: '#/x' } } })).toThrow(/\$ref/);
  });
});

describe('CRDs that describe and validate themselves', () => {
  type Node = Record<string, unknown> & { properties?: Record<string, Node>; items?: Node };
  const rootOf = (file: string) =>
    parse(readFileSync(join(dir, file), 'utf8')).spec.versions[0].schema.openAPIV3Schema as Node;

  /** Every field of a schema, by path, with its node (list items count as the list's field). */
  function fields(node: Node, path: string): [string, Node][] {
    const inner = node.items ?? node;
    return Object.entries(inner.properties ?? {}).flatMap(([name, sub]) => [
      [`${path}.${name}`, sub] as [string, Node],
      ...fields(sub, `${path}.${name}`),
    ]);
  }

  it.each(Object.keys(crds))('%s: the kind and every field but metadata have a description', (file) => {
    const root = rootOf(file);
    expect(root.description).toEqual(expect.stringMatching(/\S/));
    const all = fields(root, '');
    expect(all.length).toBeGreaterThan(20);
    expect(
      all.filter(([path, node]) => path !== '.metadata' && !node.description).map(([path]) => path),
    ).toEqual([]);
  });

  it('the CEL rules and where they are (the webhook has the rest: test/api/validation-cases.ts)', () => {
    const rules = Object.keys(crds).flatMap((file) =>
      fields(rootOf(file), file.split('_')[1]!.replace('.yaml', '')).flatMap(([path, node]) =>
        (
          (node['x-kubernetes-validations'] as { message: string; fieldPath?: string }[] | undefined) ?? []
        ).map((r) => `${path}${r.fieldPath ?? ''}: ${r.message.split(';')[0]}`),
      ),
    );
    expect(rules.sort()).toEqual([
      'noderemediations.spec.nodeName: is immutable: a NodeRemediation is about one node',
      'remediationpolicies.spec.attemptWindow: must be at least 1s',
      'remediationpolicies.spec.audit.afterKubeletStart: must be at least 1s',
      'remediationpolicies.spec.audit.interval: must be at least 1m',
      'remediationpolicies.spec.cooldown: must not be longer than spec.attemptWindow (attempts would never share a window)',
      'remediationpolicies.spec.job.agentWaitSeconds: must be shorter than spec.job.timeout',
      'remediationpolicies.spec.job.timeout: must be at least 10s',
      'remediationpolicies.spec.maxUnhealthy: must be a node count (an integer >= 0) or a percentage between "0%" and "100%"',
      'remediationpolicies.spec.verifyTimeout: must be at least 1s',
    ]);
  });

  it('patterns: node names and every duration', () => {
    const all = Object.keys(crds).flatMap((file) =>
      fields(rootOf(file), file.split('_')[1]!.replace('.yaml', '')),
    );
    expect(all.filter(([, node]) => node.pattern).map(([path]) => path)).toEqual([
      'noderemediations.spec.nodeName',
      'remediationpolicies.spec.cooldown',
      'remediationpolicies.spec.attemptWindow',
      'remediationpolicies.spec.job.timeout',
      'remediationpolicies.spec.job.ttlAfterFinished',
      'remediationpolicies.spec.verifyTimeout',
      'remediationpolicies.spec.audit.afterKubeletStart',
      'remediationpolicies.spec.audit.interval',
    ]);
  });

  it('toStructural keeps an int-or-string field its length limit and rules', () => {
    const schema = z.union([z.number(), z.string().max(8)]).meta({
      'x-kubernetes-int-or-string': true,
      maxLength: 8,
      description: 'd',
      'x-kubernetes-validations': [{ rule: 'true', message: 'm' }],
    });
    expect(toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0' }))).toEqual({
      'x-kubernetes-int-or-string': true,
      description: 'd',
      maxLength: 8,
      'x-kubernetes-validations': [{ rule: 'true', message: 'm' }],
    });
    expect(() => toStructural({ type: 'string', 'x-kubernetes-validations': [{ rule: '' }] })).toThrow(
      /x-kubernetes-validations must be a list of \{ rule, message \}/,
    );
  });

  it('addValidations appends rules by path and refuses a path that is not an object', () => {
    const schema = {
      type: 'object',
      properties: { job: { type: 'object', properties: { a: { type: 'string' } } } },
      'x-kubernetes-validations': [{ rule: 'r0', message: 'm0' }],
    };
    const out = addValidations(schema, {
      '': [{ rule: 'r1', message: 'm1' }],
      job: [{ rule: 'r2', message: 'm2' }],
    });
    expect(out['x-kubernetes-validations']).toEqual([
      { rule: 'r0', message: 'm0' },
      { rule: 'r1', message: 'm1' },
    ]);
    expect((out.properties as { job: Record<string, unknown> }).job['x-kubernetes-validations']).toEqual([
      { rule: 'r2', message: 'm2' },
    ]);
    expect(schema['x-kubernetes-validations']).toHaveLength(1);
    expect(() => addValidations(schema, { jobb: [] })).toThrow(/no object at "jobb"/);
    expect(() => addValidations(schema, { 'job.a': [] })).toThrow(/no object at "job.a"/);
  });
});
