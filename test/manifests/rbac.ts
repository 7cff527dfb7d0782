import type { ApiAccess } from './access.js';

/** One permission: `verb group/resource namespace name` ('*' for any namespace or name). */
export type Permission = string;

const permission = (verb: string, group: string, resource: string, namespace?: string, name?: string) =>
  `${verb} ${group || 'core'}/${resource} ${namespace ?? '*'} ${name ?? '*'}`;

/** Expands access declarations into single permissions (sorted, unique). */
export function permissionsOf(access: readonly ApiAccess[]): Permission[] {
  const out = new Set<Permission>();
  for (const a of access) {
    for (const verb of a.verbs) {
      for (const name of a.resourceNames ?? [undefined])
        out.add(permission(verb, a.group, a.resource, a.namespace, name));
    }
  }
  return [...out].sort();
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface RbacObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

/**
 * What a ServiceAccount is granted by the (Cluster)Roles bound to it in `objects`, as access declarations.
 * A ClusterRole bound by a RoleBinding is granted in that namespace only, as Kubernetes does.
 */
export function grantedAccess(
  objects: readonly unknown[],
  serviceAccount: { name: string; namespace: string },
): ApiAccess[] {
  const all = objects as RbacObject[];
  const isRbac = (o: RbacObject) => o.apiVersion === 'rbac.authorization.k8s.io/v1';
  const roles = new Map<string, RbacObject>();
  for (const o of all.filter(isRbac)) {
    if (o.kind === 'ClusterRole') roles.set(`ClusterRole//${o.metadata?.name}`, o);
    if (o.kind === 'Role') roles.set(`Role/${o.metadata?.namespace}/${o.metadata?.name}`, o);
  }
  const out: ApiAccess[] = [];
  for (const binding of all.filter(
    (o) => isRbac(o) && (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding'),
  )) {
    const bound = (binding.subjects ?? []).some(
      (s) =>
        s.kind === 'ServiceAccount' &&
        s.name === serviceAccount.name &&
        s.namespace === serviceAccount.namespace,
    );
    if (!bound) continue;
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata?.namespace : undefined;
    const key =
      binding.roleRef?.kind === 'ClusterRole'
        ? `ClusterRole//${binding.roleRef.name}`
        : `Role/${namespace}/${binding.roleRef?.name}`;
    const role = roles.get(key);
    if (!role)
      throw new Error(
        `${binding.kind} ${binding.metadata?.name} refers to ${key}, which is not in the manifests`,
      );
    for (const rule of role.rules ?? []) {
      if (rule.nonResourceURLs) throw new Error(`${key}: nonResourceURLs are not expected`);
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          out.push({
            group,
            resource,
            verbs: rule.verbs ?? [],
            ...(namespace ? { namespace } : {}),
            ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}),
          });
        }
      }
    }
  }
  return out;
}

export interface RequestAccess {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
}

/**
 * The RBAC verb and resource of one REST call, e.g. from a recorded request log:
 * `accessForRequest('GET', '/api/v1/namespaces/kube-system/pods', 'watch=true')` is a watch of pods in
 * kube-system. Undefined for non-resource paths (discovery, /version).
 */
export function accessForRequest(method: string, path: string, query = ''): RequestAccess | undefined {
  const parts = path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource) return undefined;
  const params = new URLSearchParams(query || (path.split('?')[1] ?? ''));
  const m = method.toUpperCase();
  const verb =
    m === 'GET'
      ? name
        ? 'get'
        : params.get('watch') === 'true' || params.get('watch') === '1'
          ? 'watch'
          : 'list'
      : m === 'POST'
        ? 'create'
        : m === 'PUT'
          ? 'update'
          : m === 'PATCH'
            ? 'patch'
            : m === 'DELETE'
              ? name
                ? 'delete'
                : 'deletecollection'
              : m.toLowerCase();
  return {
    verb,
    group,
    resource: sub ? `${resource}/${sub}` : resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

/** Whether a call is allowed by the declared access (cluster-wide rules cover every namespace). */
export function isAllowed(call: RequestAccess, access: readonly ApiAccess[]): boolean {
  return access.some(
    (a) =>
      a.group === call.group &&
      a.resource === call.resource &&
      a.verbs.includes(call.verb) &&
      (a.namespace === undefined || a.namespace === call.namespace) &&
      (a.resourceNames === undefined || (call.name !== undefined && a.resourceNames.includes(call.name))),
  );
}

/** The parts of an object that OwnerReferencesPermissionEnforcement reads on create (a V1Job fits). */
export interface OwnedObject {
  metadata: {
    namespace?: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; blockOwnerDeletion?: boolean }[];
  };
}

/** An owner kind's plural resource and scope (what the API server's REST mapping knows). */
export type OwnerMapping = (kind: string) => { resource: string; namespaced: boolean };

/**
 * The authorization checks the admission plugin OwnerReferencesPermissionEnforcement makes when `object` is
 * created: for every ownerReference with blockOwnerDeletion, `update` on the owner's `finalizers`
 * subresource, by the owner's name; in the object's namespace for a namespaced owner, cluster-wide for a
 * cluster-scoped one (kube-apiserver v1.34, plugin/pkg/admission/gc). A cluster-wide check is only allowed by
 * a ClusterRole bound cluster-wide.
 */
export function ownerReferenceChecks(object: OwnedObject, mappingOf: OwnerMapping): RequestAccess[] {
  return (object.metadata.ownerReferences ?? [])
    .filter((ref) => ref.blockOwnerDeletion === true)
    .map((ref) => {
      const slash = ref.apiVersion.lastIndexOf('/');
      const mapping = mappingOf(ref.kind);
      const namespace = mapping.namespaced ? object.metadata.namespace : undefined;
      return {
        verb: 'update',
        group: slash < 0 ? '' : ref.apiVersion.slice(0, slash),
        resource: `${mapping.resource}/finalizers`,
        ...(namespace !== undefined ? { namespace } : {}),
        name: ref.name,
      };
    });
}
