/**
 * Parses a Kubernetes REST path into what it addresses, like the API server's RequestInfo.
 * Pure: resolution against served resources happens elsewhere.
 */
export type RequestTarget =
  | { kind: 'version' }
  | { kind: 'api-versions' } // /api
  | { kind: 'api-groups' } // /apis
  | { kind: 'group'; group: string } // /apis/<group>
  | { kind: 'resource-list'; group: string; version: string } // /api/v1, /apis/<g>/<v>
  | {
      kind: 'resource';
      group: string;
      version: string;
      resource: string;
      namespace?: string;
      name?: string;
      subresource?: string;
      watchPath: boolean;
    }
  | { kind: 'openapi-v3-index' }
  | { kind: 'openapi-v3-gv'; group: string; version: string }
  | { kind: 'openapi' }
  | { kind: 'unknown' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function resourcePath(group: string, version: string, parts: string[]): RequestTarget {
  let rest = parts;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  if (rest.length === 0 || rest.length > 3) return { kind: 'unknown' };
  const [resource, name, subresource] = rest as [string, string | undefined, string | undefined];
  return { kind: 'resource', group, version, resource, namespace, name, subresource, watchPath };
}

export function parseRequestTarget(pathname: string): RequestTarget {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p));
  if (parts[0] === 'version' && parts.length === 1) return { kind: 'version' };
  if (parts[0] === 'openapi') {
    if (parts[1] !== 'v3') return { kind: 'openapi' };
    if (parts.length === 2) return { kind: 'openapi-v3-index' };
    if (parts[2] === 'api' && parts.length === 4)
      return { kind: 'openapi-v3-gv', group: '', version: parts[3]! };
    if (parts[2] === 'apis' && parts.length === 5)
      return { kind: 'openapi-v3-gv', group: parts[3]!, version: parts[4]! };
    return { kind: 'openapi' };
  }
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'api-versions' };
    if (parts.length === 2) return { kind: 'resource-list', group: '', version: parts[1]! };
    return resourcePath('', parts[1]!, parts.slice(2));
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'api-groups' };
    if (parts.length === 2) return { kind: 'group', group: parts[1]! };
    if (parts.length === 3) return { kind: 'resource-list', group: parts[1]!, version: parts[2]! };
    return resourcePath(parts[1]!, parts[2]!, parts.slice(3));
  }
  return { kind: 'unknown' };
}

export type Verb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'unknown';

/** The API verb of a resource request, as audit logs and RBAC name it. */
export function verbOf(method: string, hasName: boolean, watch: boolean): Verb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return 'unknown';
  }
}
