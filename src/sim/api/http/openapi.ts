/**
 * Just enough OpenAPI v3 for kubectl: the index of group versions and, per group version, the
 * PATCH operations tagged with their GroupVersionKind and the fieldValidation query parameter.
 * kubectl apply/create/edit read this to learn that the server validates fields itself; without
 * it they insist on downloading /openapi/v2 for client-side validation. Schemas are not served.
 */
import type { ResourceDef } from '../resources.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openapiV3Index(defs: ResourceDef[]): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const def of defs) {
    for (const version of def.versions) {
      const p = gvPath(def.group, version);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}` };
    }
  }
  return { paths };
}

const queryParam = (name: string): Record<string, unknown> => ({
  name,
  in: 'query',
  schema: { type: 'string', uniqueItems: true },
});

/** The document for one group version, or undefined when it is not served. */
export function openapiV3GroupVersion(
  defs: ResourceDef[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const served = defs.filter((d) => d.group === group && d.versions.includes(version));
  if (served.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const def of served) {
    const base = `/${gvPath(def.group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.resource}`;
    const gvk = { group: def.group, version, kind: def.kind };
    const operation = (verb: string): Record<string, unknown> => ({
      operationId: `${verb}${def.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [queryParam('dryRun'), queryParam('fieldManager'), queryParam('fieldValidation')],
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { post: operation('post') };
    paths[`${base}/{name}`] = { put: operation('put'), patch: operation('patch') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-chainmedic-sim' },
    paths,
    components: { schemas: {} },
  };
}
