import { ApiError } from '../types.js';
import { cloneJson, deepEqual, isPlainObject, type JsonObject } from '../json.js';

/**
 * How a list field merges, from the built-in types' patchStrategy/patchMergeKey tags.
 * Lists not named here are atomic (replaced), as in the real API (e.g. node spec.taints, tolerations).
 */
type ListStrategy = { mergeKey: string } | { primitiveMerge: true };

function listStrategy(path: string[]): ListStrategy | undefined {
  const field = path[path.length - 1];
  const parent = path[path.length - 2];
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
      return { mergeKey: 'name' };
    case 'env':
      return { mergeKey: 'name' };
    case 'ports':
      return parent === 'spec' ? { mergeKey: 'port' } : { mergeKey: 'containerPort' };
    case 'webhooks':
      return { mergeKey: 'name' };
    case 'volumeMounts':
      return { mergeKey: 'mountPath' };
    case 'volumeDevices':
      return { mergeKey: 'devicePath' };
    case 'conditions':
      return { mergeKey: 'type' };
    case 'addresses':
      return path[0] === 'status' ? { mergeKey: 'type' } : undefined;
    case 'ownerReferences':
      return { mergeKey: 'uid' };
    case 'finalizers':
      return { primitiveMerge: true };
    default:
      return undefined;
  }
}

const DIRECTIVE = '$patch';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const RETAIN_KEYS = '$retainKeys';

function mergeList(original: unknown, patch: unknown[], path: string[]): unknown[] {
  const strategy = listStrategy(path);
  if (!strategy)
    return cloneJson(patch.filter((item) => !(isPlainObject(item) && item[DIRECTIVE] !== undefined)));
  const base = Array.isArray(original) ? [...original] : [];
  if ('primitiveMerge' in strategy) {
    for (const item of patch) if (!base.some((b) => deepEqual(b, item))) base.push(item);
    return base;
  }
  const key = strategy.mergeKey;
  if (patch.some((p) => isPlainObject(p) && p[DIRECTIVE] === 'replace')) {
    return cloneJson(patch.filter((p) => !(isPlainObject(p) && p[DIRECTIVE] === 'replace')));
  }
  let result = base;
  for (const item of patch) {
    if (!isPlainObject(item))
      throw new ApiError(400, 'BadRequest', `list ${path.join('.')} items must be objects`);
    const id = item[key];
    const index = result.findIndex((r) => isPlainObject(r) && deepEqual(r[key], id));
    if (item[DIRECTIVE] === 'delete') {
      result = result.filter((_, i) => i !== index);
      continue;
    }
    if (index >= 0) result[index] = mergeObject(result[index], item, path);
    else result.push(mergeObject(undefined, item, path));
  }
  return result;
}

function mergeObject(original: unknown, patch: JsonObject, path: string[]): JsonObject {
  if (patch[DIRECTIVE] === 'replace') {
    const { [DIRECTIVE]: _drop, ...rest } = patch;
    return cloneJson(rest);
  }
  const result: JsonObject = isPlainObject(original) ? { ...original } : {};
  const retain = Array.isArray(patch[RETAIN_KEYS]) ? (patch[RETAIN_KEYS] as string[]) : undefined;
  if (retain) for (const k of Object.keys(result)) if (!retain.includes(k)) delete result[k];
  for (const [k, value] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (k.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = k.slice(DELETE_FROM_PRIMITIVE.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        result[field] = current.filter((c) => !value.some((v) => deepEqual(v, c)));
      }
      continue;
    }
    const childPath = [...path, k];
    if (value === null) delete result[k];
    else if (isPlainObject(value)) {
      if (value[DIRECTIVE] === 'delete') delete result[k];
      else result[k] = mergeObject(result[k], value, childPath);
    } else if (Array.isArray(value)) result[k] = mergeList(result[k], value, childPath);
    else result[k] = value;
  }
  return result;
}

/** Strategic merge patch for the built-in types served here. Returns a new object. */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch))
    throw new ApiError(400, 'BadRequest', 'strategic merge patch must be a JSON object');
  return mergeObject(target, patch, []);
}
