import type { OpenApiSchema } from './crd-pruning.js';
import type { KubeObject, ResourceKey } from './types.js';

export interface PrinterColumn {
  name: string;
  type: string; // integer | number | string | boolean | date
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** Everything the server needs to know to serve one resource. */
export interface ResourceDef {
  group: string;
  /** Served versions, preferred (storage) first. */
  versions: string[];
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** 'status' and/or 'log'. */
  subresources: string[];
  /** Set for custom resources: columns from the CRD. */
  printerColumns?: PrinterColumn[];
  /** Set for custom resources: each served version's openAPIV3Schema. */
  schemas?: Record<string, OpenApiSchema>;
  /** Set for custom resources: field paths (`spec.color`) a field selector may name besides metadata.name. */
  selectableFields?: string[];
  custom: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const RESOURCE_VERBS = ALL_VERBS;

export function resourceId(key: ResourceKey): string {
  return key.group ? `${key.resource}.${key.group}` : key.resource;
}

export function apiVersionOf(def: ResourceDef, version = def.versions[0]!): string {
  return def.group ? `${def.group}/${version}` : version;
}

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[],
  subresources: string[],
  categories: string[] = [],
): ResourceDef {
  return {
    group,
    versions: [version],
    resource,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames,
    categories,
    subresources,
    custom: false,
  };
}

export function builtinResources(): ResourceDef[] {
  return [
    builtin('', 'v1', 'namespaces', 'Namespace', false, ['ns'], ['status']),
    builtin('', 'v1', 'nodes', 'Node', false, ['no'], ['status']),
    builtin('', 'v1', 'pods', 'Pod', true, ['po'], ['status', 'log'], ['all']),
    builtin('', 'v1', 'events', 'Event', true, ['ev'], []),
    builtin('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], ['status'], ['all']),
    builtin('batch', 'v1', 'jobs', 'Job', true, [], ['status'], ['all']),
    builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true, [], []),
    // Served generically (no kind-specific behaviour) so installs of real manifests work against the sim.
    builtin('', 'v1', 'secrets', 'Secret', true, [], []),
    builtin('', 'v1', 'configmaps', 'ConfigMap', true, ['cm'], []),
    builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa'], []),
    builtin('', 'v1', 'services', 'Service', true, ['svc'], ['status'], ['all']),
    builtin('apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['status'], ['all']),
    builtin('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb'], ['status']),
    builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, [], []),
    builtin('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, [], []),
    builtin('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, [], []),
    builtin('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, [], []),
    builtin(
      'admissionregistration.k8s.io',
      'v1',
      'validatingwebhookconfigurations',
      'ValidatingWebhookConfiguration',
      false,
      [],
      [],
    ),
    builtin(
      'apiextensions.k8s.io',
      'v1',
      'customresourcedefinitions',
      'CustomResourceDefinition',
      false,
      ['crd', 'crds'],
      ['status'],
    ),
  ];
}

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
  schema?: { openAPIV3Schema?: OpenApiSchema };
  selectableFields?: Array<{ jsonPath: string }>;
}

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    plural: string;
    singular?: string;
    kind: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

/** Derives the served resource from a CustomResourceDefinition object (already validated). */
export function resourceFromCrd(crd: KubeObject): ResourceDef {
  const spec = crd.spec as CrdSpec;
  const served = spec.versions.filter((v) => v.served !== false);
  const storage = served.find((v) => v.storage) ?? served[0]!;
  const ordered = [storage, ...served.filter((v) => v !== storage)];
  return {
    group: spec.group,
    versions: ordered.map((v) => v.name),
    resource: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? `${spec.names.kind}List`,
    namespaced: spec.scope === 'Namespaced',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    subresources: storage.subresources?.status !== undefined ? ['status'] : [],
    printerColumns: storage.additionalPrinterColumns ?? [],
    schemas: Object.fromEntries(
      served.flatMap((v) => (v.schema?.openAPIV3Schema ? [[v.name, v.schema.openAPIV3Schema]] : [])),
    ),
    selectableFields: (storage.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, '')),
    custom: true,
  };
}

/** Returns a human-readable problem with a CRD object, or undefined when it can be served. */
export function crdProblem(crd: KubeObject): string | undefined {
  const spec = crd.spec as Partial<CrdSpec> | undefined;
  if (!spec || typeof spec !== 'object') return 'spec: Required value';
  if (!spec.group || typeof spec.group !== 'string') return 'spec.group: Required value';
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') return 'spec.scope: Unsupported value';
  const names = spec.names;
  if (!names || !names.plural || !names.kind) return 'spec.names: plural and kind are required';
  if (crd.metadata.name !== `${names.plural}.${spec.group}`) {
    return `metadata.name: Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group`;
  }
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) return 'spec.versions: Required value';
  if (spec.versions.filter((v) => v.storage).length !== 1)
    return 'spec.versions: Invalid value: must have exactly one version marked as storage version';
  const missing = spec.versions.findIndex((v) => !v.schema?.openAPIV3Schema);
  if (missing >= 0) return `spec.versions[${missing}].schema.openAPIV3Schema: Required value`;
  for (const v of spec.versions) {
    const type = v.schema!.openAPIV3Schema!.type;
    if (type === undefined)
      return 'spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root';
    if (type !== 'object')
      return `spec.validation.openAPIV3Schema.type: Invalid value: "${type}": must be object at the root`;
  }
  return undefined;
}

/** The set of served resources; CRDs add and remove entries at run time. */
export class ResourceRegistry {
  private readonly byKey = new Map<string, ResourceDef>();

  constructor(defs: ResourceDef[] = builtinResources()) {
    for (const def of defs) this.add(def);
  }

  add(def: ResourceDef): void {
    this.byKey.set(`${def.group}/${def.resource}`, def);
  }

  remove(key: ResourceKey): void {
    this.byKey.delete(`${key.group}/${key.resource}`);
  }

  get(key: ResourceKey): ResourceDef | undefined {
    return this.byKey.get(`${key.group}/${key.resource}`);
  }

  /** Resolves a URL's group/version/resource; undefined when that version is not served. */
  resolve(group: string, version: string, resource: string): ResourceDef | undefined {
    const def = this.byKey.get(`${group}/${resource}`);
    return def && def.versions.includes(version) ? def : undefined;
  }

  all(): ResourceDef[] {
    return [...this.byKey.values()];
  }
}
