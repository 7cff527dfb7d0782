import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { z } from 'zod';
import { buildCrds, renderCrdYaml } from '../../src/api/crd.js';
import { toStructural } from '../../src/api/structural.js';

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
      expect.arrayContaining(['Node', 'Phase', 'Reason', 'Age']),
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
