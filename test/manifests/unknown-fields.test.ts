import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { BUILDS, kustomize, type KubeObject } from './build.js';

/**
 * kubernetes-models checks types and required fields but allows unknown ones, so a misspelled field
 * (`imagePulPolicy`, `readinesProbe`) would pass and be silently dropped by the API server. The client
 * library's typed (de)serializer knows every field of the built-in kinds: whatever does not survive a round
 * trip through it is a field Kubernetes does not have.
 */
const TYPED_GROUPS = [
  'v1',
  'apps/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
];

export function unknownFields(original: unknown, typed: unknown, path = ''): string[] {
  if (Array.isArray(original)) {
    const other = Array.isArray(typed) ? typed : [];
    return original.flatMap((v, i) => unknownFields(v, other[i], `${path}[${i}]`));
  }
  if (original === null || typeof original !== 'object') return [];
  const other = typed !== null && typeof typed === 'object' ? (typed as Record<string, unknown>) : {};
  return Object.entries(original as Record<string, unknown>).flatMap(([key, value]) =>
    key in other ? unknownFields(value, other[key], `${path}.${key}`) : [`${path}.${key}`],
  );
}

function roundTrip(o: KubeObject): unknown {
  return parse(dumpYaml(loadYaml(stringify(o))));
}

function problems(objects: readonly KubeObject[]): string[] {
  return objects
    .filter((o) => TYPED_GROUPS.includes(o.apiVersion))
    .flatMap((o) => unknownFields(o, roundTrip(o)).map((p) => `${o.kind} ${o.metadata.name}: ${p}`));
}

test.each(Object.entries(BUILDS))('%s build: no field Kubernetes does not know', async (_name, dir) => {
  const objects = await kustomize(dir);
  expect(objects.filter((o) => TYPED_GROUPS.includes(o.apiVersion)).length).toBeGreaterThan(10);
  expect(problems(objects)).toEqual([]);
});

test('a misspelled field is caught', async () => {
  const objects = structuredClone(await kustomize(BUILDS.base));
  const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: Record<string, unknown>[] } } };
  };
  deployment.spec.template.spec.containers[0]!.readinesProbe = { httpGet: { path: '/readyz', port: 8080 } };
  expect(problems(objects)).toEqual([
    'Deployment chainmedic-operator: .spec.template.spec.containers[0].readinesProbe',
  ]);
});
