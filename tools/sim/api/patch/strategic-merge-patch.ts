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

/**
 * The order kube-apiserver gives a merged list (apimachinery strategicpatch `normalizeElementOrder`): the items the
 * patch (or its `$setElementOrder`) names in that order, the server's other items in their own order, the two
 * interleaved by the items' places in the original list; where that cannot say (an item new to the list), the
 * patch's item goes first. So a condition added by a patch lands first, and an updated one keeps its place.
 */
function normalizeOrder(
  merged: unknown[],
  order: unknown[],
  original: unknown[],
  keyOf: (item: unknown) => unknown,
): unknown[] {
  const indexIn = (list: unknown[], item: unknown) => {
    const k = keyOf(item);
    return list.findIndex((l) => deepEqual(keyOf(l), k));
  };
  const byIndexIn = (list: unknown[]) => (a: unknown, b: unknown) => indexIn(list, a) - indexIn(list, b);
  const patchItems = merged.filter((m) => indexIn(order, m) >= 0).sort(byIndexIn(order));
  const serverOnly = merged.filter((m) => indexIn(order, m) < 0).sort(byIndexIn(original));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (i >= serverOnly.length) out.push(patchItems[j++]);
    else if (j >= patchItems.length) out.push(serverOnly[i++]);
    else {
      const left = indexIn(original, serverOnly[i]);
      const right = indexIn(original, patchItems[j]);
      out.push(left >= 0 && right >= 0 && left < right ? serverOnly[i++] : patchItems[j++]);
    }
  }
  return out;
}

const mergeKeyOf = (key: string) => (item: unknown) => (isPlainObject(item) ? item[key] : undefined);

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
  const order = patch.filter((p) => !(isPlainObject(p) && p[DIRECTIVE] !== undefined));
  return normalizeOrder(result, order, Array.isArray(original) ? original : [], mergeKeyOf(key));
}

function mergeObject(original: unknown, patch: JsonObject, path: string[]): JsonObject {
  const originalObject = original;
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
  for (const [k, value] of Object.entries(patch)) {
    if (!k.startsWith(SET_ELEMENT_ORDER) || !Array.isArray(value)) continue;
    const field = k.slice(SET_ELEMENT_ORDER.length);
    const merged = result[field];
    const strategy = listStrategy([...path, field]);
    if (!Array.isArray(merged) || !strategy) continue;
    const original =
      isPlainObject(originalObject) && Array.isArray(originalObject[field]) ? originalObject[field] : [];
    const keyOf = 'mergeKey' in strategy ? mergeKeyOf(strategy.mergeKey) : (item: unknown) => item;
    result[field] = normalizeOrder(merged, value, original as unknown[], keyOf);
  }
  return result;
}

/** Strategic merge patch for the built-in types served here. Returns a new object. */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch))
    throw new ApiError(400, 'BadRequest', 'strategic merge patch must be a JSON object');
  return mergeObject(target, patch, []);
}
