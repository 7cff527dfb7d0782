import { randomUUID } from 'node:crypto';
import {
  ApiError,
  CRDS,
  NAMESPACES,
  SERVICE_ACCOUNTS,
  type KubeObject,
  type ListOptions,
  type PatchType,
  type ResourceKey,
  type SimStore,
  type WatchEvent,
} from './types.js';
import { ResourceRegistry, crdProblem, resourceFromCrd, type ResourceDef } from './resources.js';
import { Entry, EventHistory, entryJson, type StoreEvent } from './history.js';
import { compileFilter, isEmptyFilter, matchesFilter } from './selectors.js';
import {
  crdStatus,
  formatTimestamp,
  generatedName,
  normalizeIdentity,
  prepareCreate,
  prepareUpdate,
  specChanged,
  statusOnApiCreate,
  uuidFrom,
  validateName,
} from './object-rules.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  gone,
  invalid,
  invalidFields,
  namespaceNotFound,
  notFound,
  unknownResource,
} from './errors.js';
import { deepEqual } from './json.js';
import { admittedServiceAccount, defaultServiceAccount, missingServiceAccount } from './service-accounts.js';
import { applyMergePatch } from './patch/merge-patch.js';
import { applyStrategicMergePatch } from './patch/strategic-merge-patch.js';
import { applyJsonPatch } from './patch/json-patch.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { customResourceSchema, type FieldValidation } from './crd-schema.js';

export interface SimStoreOptions {
  /** How many recent events are kept for watches and paging (older resourceVersions answer 410). */
  historySize?: number;
  now?: () => Date;
  /** Source of randomness for uids and generateName; seeded for deterministic runs. */
  random?: () => number;
  /** Namespaces that exist from the start. */
  namespaces?: string[];
}

export interface ListPageOptions extends ListOptions {
  limit?: number;
  continue?: string;
}

export interface ListPage {
  entries: Entry[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * Server-side dry run (`dryRun=All`): the write runs every check and computes its result (defaulting, pruning,
 * validation, AlreadyExists, NotFound, Conflict, preconditions) and returns it, but stores nothing, sends no
 * event and leaves the resourceVersion alone. The result carries what the real server's dry run answers: a
 * create has its uid, creationTimestamp and generation and no resourceVersion; an update, patch or delete keeps
 * the stored resourceVersion.
 */
export interface DryRunOptions {
  dryRun?: boolean;
}

export interface DeleteOptions extends DryRunOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** How a write treats the unknown fields of a custom resource (they are pruned either way). */
export interface FieldValidationOptions {
  /** Ignore (the default in process), Warn (an HTTP request's default: named in `warnings`), Strict (400). */
  fieldValidation?: FieldValidation;
  /** Receives `unknown field "spec.foo"` for each pruned field under Warn. */
  warnings?: string[];
}

export interface CreateOptions extends FieldValidationOptions, DryRunOptions {
  /** Apply the API's create semantics to status (reset for most types), as an HTTP create does. */
  resetStatus?: boolean;
}

export interface WriteOptions extends FieldValidationOptions, DryRunOptions {
  subresource?: 'status';
}

export type RawListener = (event: StoreEvent) => void;

export interface RawWatch {
  /** Retained events after the requested resourceVersion, oldest first. */
  replay: StoreEvent[];
  stop(): void;
}

/** The full store: the SimStore contract plus what the HTTP layer and actors need beyond it. */
export interface SimStoreImpl extends SimStore {
  readonly registry: ResourceRegistry;
  definition(key: ResourceKey): ResourceDef;
  create(key: ResourceKey, object: KubeObject, options?: CreateOptions): KubeObject;
  update(key: ResourceKey, object: KubeObject, options?: WriteOptions): KubeObject;
  patch(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options?: WriteOptions,
  ): KubeObject;
  delete(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): KubeObject | undefined;
  deleteCollection(key: ResourceKey, options?: ListOptions & DeleteOptions): KubeObject[];
  getEntry(key: ResourceKey, namespace: string | undefined, name: string): Entry | undefined;
  /** Entry-returning forms of the writes (shared, never to be mutated): the HTTP layer serializes their cached JSON. */
  createEntry(key: ResourceKey, object: KubeObject, options?: CreateOptions): Entry;
  updateEntry(key: ResourceKey, object: KubeObject, options?: WriteOptions): Entry;
  patchEntry(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options?: WriteOptions,
  ): Entry;
  deleteEntry(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): Entry | undefined;
  listPage(key: ResourceKey, options?: ListPageOptions): ListPage;
  /** Subscribes to raw events (shared, never to be mutated) after `fromRv`; throws 410 when too old. */
  watchRaw(key: ResourceKey, fromRv: number | undefined, listener: RawListener): RawWatch;
  /** Number of objects stored for a resource (cheap). */
  count(key: ResourceKey): number;
}

interface Bucket {
  id: string;
  key: ResourceKey;
  objects: Map<string, Entry>;
  sortedKeys?: string[];
  watchers: Set<{ listener: RawListener; afterRv: number }>;
  subscribers: Set<(event: WatchEvent) => void>;
}

/** What a dry-run write answers with: its result, serialized like a stored entry, stored nowhere. */
function dryRunEntry(draft: KubeObject): Entry {
  const json = JSON.stringify(draft);
  return new Entry(json, JSON.parse(json) as KubeObject);
}

function copyOf(entry: Entry): KubeObject {
  return JSON.parse(entryJson(entry)) as KubeObject;
}

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function lowerBound(keys: string[], after: string | undefined, prefix: string): number {
  const target = after !== undefined && after >= prefix ? after : prefix;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const k = keys[mid]!;
    if (k < target || (after !== undefined && k === after)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the real server sets on every new namespace (the namespace controller's finalizer, phase Active). */
function prepareNamespace(namespace: KubeObject): void {
  const spec = (namespace.spec ?? {}) as { finalizers?: string[] };
  const finalizers = spec.finalizers ?? [];
  namespace.spec = {
    ...spec,
    finalizers: finalizers.includes('kubernetes') ? finalizers : [...finalizers, 'kubernetes'],
  };
  if (namespace.status === undefined) namespace.status = { phase: 'Active' };
}

export function createSimStore(options: SimStoreOptions = {}): SimStoreImpl {
  return new MemoryStore(options);
}

class MemoryStore implements SimStoreImpl {
  readonly registry = new ResourceRegistry();
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: EventHistory;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly seeded: boolean;
  private rv = 0;
  /** owner uid -> dependents ("bucket\0key"). */
  private readonly dependents = new Map<string, Set<string>>();
  /** uid -> "bucket\0key" of every live object. */
  private readonly uids = new Map<string, string>();
  private readonly deliveryQueue: Array<{ bucket: Bucket; event: StoreEvent }> = [];
  private delivering = false;

  constructor(options: SimStoreOptions) {
    this.history = new EventHistory(options.historySize ?? 10_000);
    this.now = options.now ?? (() => new Date());
    this.seeded = options.random !== undefined;
    this.random = options.random ?? Math.random;
    for (const ns of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  }

  // ---- lookup -------------------------------------------------------------------------------

  definition(key: ResourceKey): ResourceDef {
    const def = this.registry.get(key);
    if (!def) throw unknownResource();
    return def;
  }

  private bucket(key: ResourceKey): Bucket {
    const def = this.definition(key);
    const id = `${def.group}/${def.resource}`;
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = {
        id,
        key: { group: def.group, resource: def.resource },
        objects: new Map(),
        watchers: new Set(),
        subscribers: new Set(),
      };
      this.buckets.set(id, bucket);
    }
    return bucket;
  }

  private sortedKeys(bucket: Bucket): string[] {
    bucket.sortedKeys ??= [...bucket.objects.keys()].sort();
    return bucket.sortedKeys;
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  count(key: ResourceKey): number {
    return this.bucket(key).objects.size;
  }

  getEntry(key: ResourceKey, namespace: string | undefined, name: string): Entry | undefined {
    const def = this.definition(key);
    return this.bucket(key).objects.get(objectKey(def.namespaced ? namespace : undefined, name));
  }

  get(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    const entry = this.getEntry(key, namespace, name);
    return entry ? (JSON.parse(entryJson(entry)) as KubeObject) : undefined;
  }

  private mustGet(key: ResourceKey, namespace: string | undefined, name: string): Entry {
    const entry = this.getEntry(key, namespace, name);
    if (!entry) throw notFound(this.definition(key), name);
    return entry;
  }

  // ---- list ---------------------------------------------------------------------------------

  list(key: ResourceKey, options: ListOptions = {}): KubeObject[] {
    return this.listPage(key, options).entries.map((e) => JSON.parse(entryJson(e)) as KubeObject);
  }

  listPage(key: ResourceKey, options: ListPageOptions = {}): ListPage {
    const def = this.definition(key);
    const bucket = this.bucket(key);
    const filter = compileFilter(options.labelSelector, options.fieldSelector);
    const prefix = def.namespaced && options.namespace ? `${options.namespace}/` : '';
    let snapshotRv = this.rv;
    let after: string | undefined;
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (!this.history.covers(token.rv)) {
        throw gone(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      snapshotRv = token.rv;
      after = token.key;
    }
    // State at the snapshot = current state with every later change undone.
    const overlay = new Map<string, Entry | null>();
    if (snapshotRv < this.rv) {
      for (const event of this.history.since(snapshotRv, bucket.id)) {
        if (!overlay.has(event.key)) overlay.set(event.key, event.prev ?? null);
      }
    }
    const current = this.sortedKeys(bucket);
    const extra = [...overlay.keys()]
      .filter((k) => !bucket.objects.has(k) && k.startsWith(prefix) && (after === undefined || k > after))
      .sort();
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const entries: Entry[] = [];
    let lastKey: string | undefined;
    let more = false;
    let remaining = 0;
    let i = lowerBound(current, after, prefix);
    let j = 0;
    const filtered = !isEmptyFilter(filter);
    while (true) {
      const a = i < current.length && current[i]!.startsWith(prefix) ? current[i] : undefined;
      const b = j < extra.length ? extra[j] : undefined;
      if (a === undefined && b === undefined) break;
      let k: string;
      if (b === undefined || (a !== undefined && a < b)) {
        k = a!;
        i++;
      } else {
        k = b;
        j++;
      }
      const entry = overlay.has(k) ? overlay.get(k)! : bucket.objects.get(k)!;
      if (!entry) continue;
      if (filtered && !matchesFilter(filter, entry.object)) continue;
      if (entries.length < limit) {
        entries.push(entry);
        lastKey = k;
        continue;
      }
      more = true;
      if (filtered) break;
      remaining++;
    }
    const page: ListPage = { entries, resourceVersion: String(snapshotRv) };
    if (more && lastKey !== undefined) {
      page.continue = encodeContinue({ rv: snapshotRv, key: lastKey });
      if (!filtered) page.remainingItemCount = remaining;
    }
    return page;
  }

  // ---- writes -------------------------------------------------------------------------------

  create(key: ResourceKey, object: KubeObject, options: CreateOptions = {}): KubeObject {
    return copyOf(this.createEntry(key, object, options));
  }

  update(key: ResourceKey, object: KubeObject, options: WriteOptions = {}): KubeObject {
    return copyOf(this.updateEntry(key, object, options));
  }

  patch(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    return copyOf(this.patchEntry(key, namespace, name, type, patch, options));
  }

  delete(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | undefined {
    const entry = this.deleteEntry(key, namespace, name, options);
    return entry ? copyOf(entry) : undefined;
  }

  // The caller's object is never stored: commit() stores a parse of its serialization.
  createEntry(key: ResourceKey, object: KubeObject, options: CreateOptions = {}): Entry {
    const def = this.definition(key);
    const bucket = this.bucket(key);
    const input = normalizeIdentity(def, object, object?.metadata?.namespace);
    let name = input.metadata.name;
    if (!name) {
      if (!input.metadata.generateName)
        throw invalid(def, '', 'metadata.name: Required value: name or generateName is required');
      for (
        let attempt = 0;
        attempt < 8 && (!name || bucket.objects.has(objectKey(input.metadata.namespace, name)));
        attempt++
      ) {
        name = generatedName(input.metadata.generateName, this.random);
      }
    }
    validateName(def, name!);
    const k = objectKey(input.metadata.namespace, name!);
    if (bucket.objects.has(k)) throw alreadyExists(def, name!);
    if (def.namespaced && !this.buckets.get('/namespaces')?.objects.has(input.metadata.namespace!)) {
      throw namespaceNotFound(input.metadata.namespace!);
    }
    const uid = this.seeded ? uuidFrom(this.random) : randomUUID();
    const created = prepareCreate(def, input, { uid, rvNow: this.now(), name: name! });
    if (options.resetStatus) {
      const status = statusOnApiCreate(def, created);
      if (status === undefined) delete created.status;
      else created.status = status;
    }
    if (def.resource === 'namespaces' && !def.group) prepareNamespace(created);
    if (def.custom) this.admitCustom(def, created, options);
    if (def.resource === 'customresourcedefinitions' && def.group === CRDS.group)
      this.admitCrd(created, options.dryRun);
    if (def.resource === 'pods' && !def.group) this.admitServiceAccount(created);
    if (options.dryRun) return dryRunEntry(created);
    const entry = this.commit(bucket, k, 'ADDED', created, undefined);
    if (def.resource === 'namespaces' && !def.group)
      this.create(SERVICE_ACCOUNTS, defaultServiceAccount(created.metadata.name as string));
    return entry;
  }

  private admitServiceAccount(pod: KubeObject): void {
    const namespace = pod.metadata.namespace as string;
    const name = admittedServiceAccount(pod);
    if (!this.get(SERVICE_ACCOUNTS, namespace, name))
      throw missingServiceAccount(pod.metadata.name as string, namespace, name);
  }

  updateEntry(key: ResourceKey, object: KubeObject, options: WriteOptions = {}): Entry {
    const def = this.definition(key);
    const input = normalizeIdentity(def, object, object?.metadata?.namespace);
    if (!input.metadata.name) throw invalid(def, '', 'metadata.name: Required value: name is required');
    const existing = this.mustGet(key, input.metadata.namespace, input.metadata.name);
    const rv = input.metadata.resourceVersion;
    if (def.custom && (rv === undefined || rv === '')) {
      throw invalid(
        def,
        input.metadata.name,
        'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      );
    }
    if (rv !== undefined && rv !== '' && rv !== existing.object.metadata.resourceVersion) {
      throw conflict(def, input.metadata.name);
    }
    return this.write(def, existing, this.prepareWrite(def, existing.object, input, options), options.dryRun);
  }

  patchEntry(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: WriteOptions = {},
  ): Entry {
    const def = this.definition(key);
    const existing = this.mustGet(key, namespace, name);
    const base = existing.object;
    let patched: unknown;
    switch (type) {
      case 'merge':
        patched = applyMergePatch(base, patch);
        break;
      case 'strategic':
        if (def.custom) {
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            'strategic merge patch is not supported for custom resources',
          );
        }
        patched = applyStrategicMergePatch(base, patch);
        break;
      case 'json':
        patched = applyJsonPatch(base, patch);
        break;
    }
    const result = patched as KubeObject;
    if (
      result === null ||
      typeof result !== 'object' ||
      typeof result.metadata !== 'object' ||
      result.metadata === null
    ) {
      throw invalid(def, name, 'metadata: Required value');
    }
    if (result.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(result.metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
    if (result.metadata.resourceVersion !== base.metadata.resourceVersion) throw conflict(def, name);
    const input = normalizeIdentity(def, result, base.metadata.namespace);
    return this.write(def, existing, this.prepareWrite(def, base, input, options), options.dryRun);
  }

  /** The object an update or patch stores: immutable metadata and subresource rules, then CRD admission. */
  private prepareWrite(
    def: ResourceDef,
    old: KubeObject,
    input: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    const next = prepareUpdate(def, old, input, options.subresource);
    if (!def.custom) return next;
    this.admitCustom(def, next, options);
    // Generation counts changes of what was stored, after pruning and defaulting.
    const generation = old.metadata.generation ?? 0;
    next.metadata.generation = specChanged(def, old, next) ? generation + 1 : generation;
    return next;
  }

  /**
   * A custom resource as the real server stores it: unknown fields pruned (400 under Strict, named under Warn),
   * disallowed nulls dropped, defaults applied, then validated against its version's schema (422).
   */
  private admitCustom(def: ResourceDef, object: KubeObject, options: FieldValidationOptions): void {
    const requested = typeof object.apiVersion === 'string' ? object.apiVersion.split('/').pop()! : '';
    const version = def.versions.includes(requested) ? requested : def.versions[0]!;
    const schema = def.schemas?.[version];
    if (!schema) return;
    const compiled = customResourceSchema(schema);
    const unknown = compiled.normalize(object);
    if (unknown.length > 0 && options.fieldValidation === 'Strict') {
      const fields = unknown.map((f) => `unknown field "${f}"`).join(', ');
      throw badRequest(
        `${def.kind} in version "${version}" cannot be handled as a ${def.kind}: strict decoding error: ${fields}`,
      );
    }
    if (options.fieldValidation === 'Warn')
      options.warnings?.push(...unknown.map((f) => `unknown field "${f}"`));
    const errors = compiled.validate(object);
    if (errors.length > 0) throw invalidFields(def, object.metadata.name, errors);
  }

  /**
   * Stores an updated object unless nothing changed; completes deletion when the last finalizer goes. A dry run
   * returns what would be stored, at the stored resourceVersion (as the real server's dry run answers).
   */
  private write(def: ResourceDef, existing: Entry, next: KubeObject, dryRun = false): Entry {
    const old = existing.object;
    const bucket = this.bucket(def);
    const k = objectKey(old.metadata.namespace, old.metadata.name);
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (def.resource === 'customresourcedefinitions' && def.group === CRDS.group) this.admitCrd(next, dryRun);
    if (deepEqual(old, next)) return existing;
    if (dryRun) return dryRunEntry(next);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.remove(bucket, def, k, existing, next, 'Background');
    }
    return this.commit(bucket, k, 'MODIFIED', next, existing);
  }

  deleteEntry(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Entry | undefined {
    const def = this.definition(key);
    const bucket = this.bucket(key);
    const entry = this.getEntry(key, namespace, name);
    if (!entry) return undefined;
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== entry.object.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${def.resource} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${entry.object.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== entry.object.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${def.resource} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${entry.object.metadata.resourceVersion}`,
      );
    }
    const k = objectKey(entry.object.metadata.namespace, name);
    if ((entry.object.metadata.finalizers ?? []).length > 0) {
      if (entry.object.metadata.deletionTimestamp) return entry;
      const marked: KubeObject = {
        ...entry.object,
        metadata: {
          ...entry.object.metadata,
          deletionTimestamp: formatTimestamp(this.now()),
          deletionGracePeriodSeconds: 0,
        },
      };
      if (options.dryRun) return dryRunEntry(marked);
      return this.commit(bucket, k, 'MODIFIED', marked, entry);
    }
    // A dry run answers with the object as it is: nothing removed, no dependent collected.
    if (options.dryRun) return entry;
    return this.remove(bucket, def, k, entry, entry.object, options.propagationPolicy ?? 'Background');
  }

  deleteCollection(key: ResourceKey, options: ListOptions & DeleteOptions = {}): KubeObject[] {
    const deleted: KubeObject[] = [];
    for (const entry of this.listPage(key, options).entries) {
      const object = entry.object;
      const result = this.delete(key, object.metadata.namespace, object.metadata.name, {
        propagationPolicy: options.propagationPolicy,
        dryRun: options.dryRun,
      });
      if (result) deleted.push(result);
    }
    return deleted;
  }

  private remove(
    bucket: Bucket,
    def: ResourceDef,
    k: string,
    existing: Entry,
    final: KubeObject,
    policy: string,
  ): Entry {
    const gone: KubeObject = { ...final, metadata: { ...final.metadata } };
    const result = this.commit(bucket, k, 'DELETED', gone, existing);
    const uid = final.metadata.uid;
    if (def.resource === 'namespaces' && !def.group) this.emptyNamespace(final.metadata.name);
    if (def.resource === 'customresourcedefinitions' && def.group === CRDS.group) this.retireCrd(final);
    if (uid && policy !== 'Orphan') this.collectDependents(uid);
    return result;
  }

  private collectDependents(ownerUid: string): void {
    const refs = this.dependents.get(ownerUid);
    if (!refs) return;
    this.dependents.delete(ownerUid);
    for (const ref of refs) {
      const [bucketId, k] = ref.split('\0') as [string, string];
      const bucket = this.buckets.get(bucketId);
      const entry = bucket?.objects.get(k);
      if (!bucket || !entry) continue;
      const owners = entry.object.metadata.ownerReferences ?? [];
      if (owners.some((o) => o.uid !== ownerUid && this.uids.has(o.uid))) continue;
      this.delete(bucket.key, entry.object.metadata.namespace, entry.object.metadata.name);
    }
  }

  private emptyNamespace(namespace: string): void {
    for (const bucket of [...this.buckets.values()]) {
      const def = this.registry.get(bucket.key);
      if (!def?.namespaced) continue;
      for (const entry of this.listPage(bucket.key, { namespace }).entries) {
        this.delete(bucket.key, namespace, entry.object.metadata.name);
      }
    }
  }

  // ---- CRDs ---------------------------------------------------------------------------------

  /** Checks a CRD and fills in its status; registers its resource unless this is a dry run. */
  private admitCrd(crd: KubeObject, dryRun = false): void {
    const problem = crdProblem(crd);
    if (problem) throw invalid(this.definition(CRDS), crd.metadata.name, problem);
    const def = resourceFromCrd(crd);
    const existing = this.registry.get(def);
    if (existing && !existing.custom) {
      throw invalid(
        this.definition(CRDS),
        crd.metadata.name,
        `spec.names.plural: Invalid value: "${def.resource}": conflicts with a built-in resource`,
      );
    }
    if (crd.status === undefined || (crd.status as { conditions?: unknown }).conditions === undefined) {
      crd.status = crdStatus(crd, this.now());
    }
    if (!dryRun) this.registry.add(def);
  }

  private retireCrd(crd: KubeObject): void {
    const def = resourceFromCrd(crd);
    const bucket = this.buckets.get(`${def.group}/${def.resource}`);
    if (bucket) {
      for (const entry of [...bucket.objects.values()]) {
        const k = objectKey(entry.object.metadata.namespace, entry.object.metadata.name);
        this.commit(bucket, k, 'DELETED', { ...entry.object, metadata: { ...entry.object.metadata } }, entry);
      }
      this.buckets.delete(bucket.id);
    }
    this.registry.remove(def);
  }

  // ---- commit & delivery --------------------------------------------------------------------

  private commit(
    bucket: Bucket,
    k: string,
    type: StoreEvent['type'],
    draft: KubeObject,
    prev: Entry | undefined,
  ): Entry {
    this.rv++;
    draft.metadata.resourceVersion = String(this.rv);
    const json = JSON.stringify(draft);
    const object = JSON.parse(json) as KubeObject;
    const entry = new Entry(json, object);
    const ref = `${bucket.id}\0${k}`;
    if (prev) this.unindex(prev.object, ref);
    if (type === 'DELETED') {
      bucket.objects.delete(k);
      bucket.sortedKeys = undefined;
    } else {
      if (!bucket.objects.has(k)) bucket.sortedKeys = undefined;
      bucket.objects.set(k, entry);
      this.index(object, ref);
    }
    const event: StoreEvent = { rv: this.rv, bucket: bucket.id, key: k, type, entry, prev };
    this.history.push(event);
    this.deliveryQueue.push({ bucket, event });
    this.deliver();
    return entry;
  }

  private index(object: KubeObject, ref: string): void {
    if (object.metadata.uid) this.uids.set(object.metadata.uid, ref);
    for (const owner of object.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(owner.uid);
      if (!set) this.dependents.set(owner.uid, (set = new Set()));
      set.add(ref);
    }
  }

  private unindex(object: KubeObject, ref: string): void {
    if (object.metadata.uid) this.uids.delete(object.metadata.uid);
    for (const owner of object.metadata.ownerReferences ?? []) this.dependents.get(owner.uid)?.delete(ref);
  }

  /** Delivers events in resourceVersion order even when a listener writes to the store. */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let item = this.deliveryQueue.shift(); item; item = this.deliveryQueue.shift()) {
        const { bucket, event } = item;
        for (const watcher of [...bucket.watchers]) {
          if (event.rv > watcher.afterRv) this.safely(() => watcher.listener(event));
        }
        if (bucket.subscribers.size > 0) {
          for (const subscriber of [...bucket.subscribers]) {
            const object = JSON.parse(entryJson(event.entry)) as KubeObject;
            this.safely(() => subscriber({ type: event.type, object }));
          }
        }
        event.prev?.cool();
        if (event.type === 'DELETED') event.entry.cool();
      }
    } finally {
      this.delivering = false;
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      console.error('sim store: listener failed:', err);
    }
  }

  subscribe(key: ResourceKey, listener: (event: WatchEvent) => void): () => void {
    const bucket = this.bucket(key);
    bucket.subscribers.add(listener);
    return () => bucket.subscribers.delete(listener);
  }

  watchRaw(key: ResourceKey, fromRv: number | undefined, listener: RawListener): RawWatch {
    const bucket = this.bucket(key);
    let replay: StoreEvent[] = [];
    if (fromRv !== undefined) {
      if (!this.history.covers(fromRv)) {
        throw gone(`too old resource version: ${fromRv} (${this.history.oldestRetainedAfter() + 1})`);
      }
      replay = this.history.since(fromRv, bucket.id);
    }
    const watcher = { listener, afterRv: this.rv };
    bucket.watchers.add(watcher);
    return { replay, stop: () => bucket.watchers.delete(watcher) };
  }
}
