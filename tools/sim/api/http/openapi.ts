/**
 * Just enough OpenAPI v3 for kubectl: the index of group versions and, per group version, the
 * POST, PUT and PATCH operations tagged with their GroupVersionKind and the query parameters the sim serves on
 * them: dryRun (server-side dry run, `All` only, as a real server), fieldManager (ignored: the sim keeps no
 * managedFields) and fieldValidation.
 * kubectl apply/create/edit read this to learn that the server validates fields itself; without
 * it they insist on downloading /openapi/v2 for client-side validation. Custom resources also get
 * their CRD's schema, as a real server publishes it, so `kubectl explain` works for them; built-in
 * types have no schema here.
 */
import type { OpenApiSchema } from '../crd-pruning.js';
import type { ResourceDef } from '../resources.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

const API_VERSION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const METADATA =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/** The part of ObjectMeta's schema a client sets. */
const OBJECT_META_SCHEMA = {
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: { description: 'Name must be unique within a namespace.', type: 'string' },
    generateName: { description: 'An optional prefix used to generate a unique name.', type: 'string' },
    namespace: {
      description: 'The namespace the object belongs to (empty for cluster-scoped objects).',
      type: 'string',
    },
    labels: {
      description: 'Map of string keys and values to organize and categorize objects.',
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    annotations: {
      description: 'Unstructured key value map stored with a resource.',
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    ownerReferences: {
      description: 'Objects this object depends on.',
      type: 'array',
      items: { type: 'object' },
    },
    finalizers: {
      description: 'Must be empty before the object is deleted from the registry.',
      type: 'array',
      items: { type: 'string' },
    },
    uid: { description: 'UID is the unique in time and space value for this object.', type: 'string' },
    resourceVersion: {
      description: 'An opaque value that represents the internal version of this object.',
      type: 'string',
    },
    generation: {
      description: 'A sequence number representing a specific generation of the desired state.',
      type: 'integer',
      format: 'int64',
    },
    creationTimestamp: {
      description: 'The time this object was created.',
      type: 'string',
      format: 'date-time',
    },
    deletionTimestamp: {
      description: 'The time after which this resource will be deleted.',
      type: 'string',
      format: 'date-time',
    },
  },
};

/** A CRD schema's component name: chainmedic.io, v1alpha1, NodeRemediation -> io.chainmedic.v1alpha1.NodeRemediation. */
function componentName(def: ResourceDef, version: string): string {
  return [...def.group.split('.').reverse(), version, def.kind].join('.');
}

function customSchema(def: ResourceDef, version: string, schema: OpenApiSchema): Record<string, unknown> {
  return {
    ...schema,
    properties: {
      ...schema.properties,
      apiVersion: { description: API_VERSION, type: 'string' },
      kind: { description: KIND, type: 'string' },
      metadata: { description: METADATA, allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }] },
    },
    'x-kubernetes-group-version-kind': [{ group: def.group, kind: def.kind, version }],
  };
}

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

const queryParam = (name: string, description?: string): Record<string, unknown> => ({
  name,
  in: 'query',
  ...(description ? { description } : {}),
  schema: { type: 'string', uniqueItems: true },
});

/** The real server's words for dryRun (the sim serves it the same way). */
const DRY_RUN =
  'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed';

/** The document for one group version, or undefined when it is not served. */
export function openapiV3GroupVersion(
  defs: ResourceDef[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const served = defs.filter((d) => d.group === group && d.versions.includes(version));
  if (served.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const def of served) {
    const schema = def.schemas?.[version];
    if (schema) {
      schemas[componentName(def, version)] = customSchema(def, version, schema);
      schemas[OBJECT_META] = OBJECT_META_SCHEMA;
    }
    const base = `/${gvPath(def.group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.resource}`;
    const gvk = { group: def.group, version, kind: def.kind };
    const operation = (verb: string): Record<string, unknown> => ({
      operationId: `${verb}${def.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [queryParam('dryRun', DRY_RUN), queryParam('fieldManager'), queryParam('fieldValidation')],
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { post: operation('post') };
    paths[`${base}/{name}`] = { put: operation('put'), patch: operation('patch') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-chainmedic-sim' },
    paths,
    components: { schemas },
  };
}
