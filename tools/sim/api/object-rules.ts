/**
 * Pure rules the real API server applies to writes: defaulting on create, immutable metadata,
 * status-subresource semantics, generation, name validation. No store state here.
 */
import { deepEqual, type JsonObject } from './json.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { badRequest, invalid } from './errors.js';
import type { KubeObject } from './types.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateName(def: ResourceDef, name: string): void {
  const rule = def.resource === 'namespaces' ? LABEL : SUBDOMAIN;
  const max = def.resource === 'namespaces' ? 63 : 253;
  if (name.length > max || !rule.test(name)) {
    throw invalid(
      def,
      name,
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 ${def.resource === 'namespaces' ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generatedName(prefix: string, random: () => number): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[Math.floor(random() * SUFFIX_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

export function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export function hasStatusSubresource(def: ResourceDef): boolean {
  return def.subresources.includes('status');
}

/** Everything that counts as "spec" for generation: all but metadata (and status when it is a subresource). */
function specPart(def: ResourceDef, object: KubeObject): JsonObject {
  const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = object;
  return hasStatusSubresource(def) ? rest : { ...rest, status };
}

export function specChanged(def: ResourceDef, before: KubeObject, after: KubeObject): boolean {
  return !deepEqual(specPart(def, before), specPart(def, after));
}

/** The status an API create leaves on an object (the real server resets status on create for most types). */
export function statusOnApiCreate(def: ResourceDef, object: KubeObject): unknown {
  if (!hasStatusSubresource(def) || def.resource === 'nodes') return object.status;
  if (def.resource === 'pods') return { phase: 'Pending' };
  if (def.resource === 'namespaces') return { phase: 'Active' };
  if (def.resource === 'customresourcedefinitions') return object.status;
  return undefined;
}

/** Checks the body's name/namespace against the request's; sets apiVersion and kind. */
export function normalizeIdentity(
  def: ResourceDef,
  object: KubeObject,
  namespace: string | undefined,
): KubeObject {
  if (object === null || typeof object !== 'object' || Array.isArray(object))
    throw badRequest('the body of the request must be a JSON object');
  const metadata = { ...(object.metadata ?? {}) } as KubeObject['metadata'];
  if (def.namespaced) {
    const ns = metadata.namespace ?? namespace;
    if (namespace !== undefined && metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (!ns) throw badRequest('the namespace of the object is required');
    metadata.namespace = ns;
  } else {
    delete metadata.namespace;
  }
  const apiVersion =
    typeof object.apiVersion === 'string' && object.apiVersion !== '' ? object.apiVersion : apiVersionOf(def);
  return { ...object, apiVersion, kind: def.kind, metadata };
}

/** Builds the stored form of a new object. */
export function prepareCreate(
  def: ResourceDef,
  input: KubeObject,
  fields: { uid: string; rvNow: Date; name: string },
): KubeObject {
  const metadata: KubeObject['metadata'] = { ...input.metadata, name: fields.name };
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  delete metadata.resourceVersion;
  metadata.uid = fields.uid;
  metadata.creationTimestamp = formatTimestamp(fields.rvNow);
  metadata.generation = 1;
  return { ...input, apiVersion: apiVersionOf(def), metadata };
}

/** Applies immutable-metadata and subresource rules to an update. */
export function prepareUpdate(
  def: ResourceDef,
  old: KubeObject,
  incoming: KubeObject,
  subresource: 'status' | undefined,
): KubeObject {
  if (subresource === 'status') {
    const next: KubeObject = { ...old, metadata: { ...old.metadata } };
    if (incoming.status === undefined) delete next.status;
    else next.status = incoming.status;
    return next;
  }
  const metadata: KubeObject['metadata'] = {
    ...incoming.metadata,
    name: old.metadata.name,
    uid: old.metadata.uid,
    creationTimestamp: old.metadata.creationTimestamp,
    generation: old.metadata.generation,
  };
  if (old.metadata.namespace !== undefined) metadata.namespace = old.metadata.namespace;
  if (old.metadata.deletionTimestamp !== undefined)
    metadata.deletionTimestamp = old.metadata.deletionTimestamp;
  else delete metadata.deletionTimestamp;
  const next: KubeObject = { ...incoming, apiVersion: old.apiVersion, kind: old.kind, metadata };
  if (hasStatusSubresource(def)) {
    if (old.status === undefined) delete next.status;
    else next.status = old.status;
  }
  if (specChanged(def, old, next)) metadata.generation = (old.metadata.generation ?? 0) + 1;
  return next;
}

/** What a CRD's status looks like once the server has accepted and established it. */
export function crdStatus(crd: KubeObject, now: Date): JsonObject {
  const spec = crd.spec as { names: JsonObject; versions: Array<{ name: string; storage?: boolean }> };
  const names = spec.names as { kind: string; plural: string; singular?: string; listKind?: string };
  const time = formatTimestamp(now);
  const storage = spec.versions.find((v) => v.storage)?.name;
  return {
    acceptedNames: {
      ...spec.names,
      singular: names.singular ?? names.kind.toLowerCase(),
      listKind: names.listKind ?? `${names.kind}List`,
    },
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        reason: 'NoConflicts',
        message: 'no conflicts found',
        lastTransitionTime: time,
      },
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
        lastTransitionTime: time,
      },
    ],
    storedVersions: storage ? [storage] : [],
  };
}
