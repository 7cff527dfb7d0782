import { ApiError, type ErrorDetails, type StatusCause } from './types.js';
import type { ResourceDef } from './resources.js';

function qualified(def: ResourceDef): string {
  return def.group ? `${def.resource}.${def.group}` : def.resource;
}

/** The details a real server attaches to an error about one object of a resource. */
function about(def: ResourceDef, name: string): ErrorDetails {
  return { name, ...(def.group ? { group: def.group } : {}), kind: def.resource };
}

export function notFound(def: ResourceDef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(def)} "${name}" not found`, about(def, name));
}

export function namespaceNotFound(namespace: string): ApiError {
  return new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
    name: namespace,
    kind: 'namespaces',
  });
}

export function alreadyExists(def: ResourceDef, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(def)} "${name}" already exists`, about(def, name));
}

export function conflict(def: ResourceDef, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    about(def, name),
  );
}

/** 422 for field problems, worded as the real server words them: `Kind.group "name" is invalid: [...]`. */
export function invalidFields(def: ResourceDef, name: string, causes: StatusCause[]): ApiError {
  const kind = def.group ? `${def.kind}.${def.group}` : def.kind;
  const each = causes.map((c) => `${c.field}: ${c.message}`);
  const list = each.length === 1 ? each[0]! : `[${each.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${list}`, {
    name,
    ...(def.group ? { group: def.group } : {}),
    kind: def.kind,
    causes,
  });
}

/** 422 for one problem given as `field: message`. */
export function invalid(def: ResourceDef, name: string, detail: string): ApiError {
  const colon = detail.indexOf(': ');
  const field = colon > 0 ? detail.slice(0, colon) : '';
  const message = colon > 0 ? detail.slice(colon + 2) : detail;
  const reason = message.startsWith('Required value') ? 'FieldValueRequired' : 'FieldValueInvalid';
  return invalidFields(def, name, [{ reason, message, field }]);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function unknownResource(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}
