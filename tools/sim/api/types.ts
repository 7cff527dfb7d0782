/**
 * The contract between the simulated API server's in-memory store and the actors
 * (kubelet, azure-npm DaemonSet, Job controller) that drive it in-process.
 * The HTTP layer serves exactly this store; actors never go through HTTP.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Identifies a served resource: core resources have group ''. */
export interface ResourceKey {
  group: string;
  resource: string; // plural, lower case: 'nodes', 'pods', 'jobs', 'noderemediations'
}

export const NODES: ResourceKey = { group: '', resource: 'nodes' };
export const PODS: ResourceKey = { group: '', resource: 'pods' };
export const EVENTS: ResourceKey = { group: '', resource: 'events' };
export const NAMESPACES: ResourceKey = { group: '', resource: 'namespaces' };
export const SERVICE_ACCOUNTS: ResourceKey = { group: '', resource: 'serviceaccounts' };
export const DAEMONSETS: ResourceKey = { group: 'apps', resource: 'daemonsets' };
export const JOBS: ResourceKey = { group: 'batch', resource: 'jobs' };
export const LEASES: ResourceKey = { group: 'coordination.k8s.io', resource: 'leases' };
export const CRDS: ResourceKey = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A metav1.StatusCause: one field's problem. */
export interface StatusCause {
  reason: string; // 'FieldValueRequired', 'FieldValueInvalid', ...
  message: string;
  field: string;
}

/** A metav1.StatusDetails: what the error is about. `kind` is the resource for NotFound, the Kind for Invalid. */
export interface ErrorDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

/** Thrown by store operations; the HTTP layer turns it into a v1 Status. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string, // 'NotFound', 'AlreadyExists', 'Conflict', 'Invalid', 'Gone', ...
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }
}

export type PatchType = 'merge' | 'strategic' | 'json';

/**
 * The in-memory store. Every write bumps the single store-wide resourceVersion.
 * Objects returned are copies: mutating them never changes the store.
 * `subresource: 'status'` applies status-subresource semantics (only .status
 * changes); a main-resource write of a resource with a status subresource keeps
 * the stored .status and bumps metadata.generation when .spec changes.
 */
export interface SimStore {
  get(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined;
  list(key: ResourceKey, options?: ListOptions): KubeObject[];
  create(key: ResourceKey, object: KubeObject): KubeObject;
  update(key: ResourceKey, object: KubeObject, options?: { subresource?: 'status' }): KubeObject;
  patch(
    key: ResourceKey,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options?: { subresource?: 'status' },
  ): KubeObject;
  /** Deletes (or marks for deletion when finalizers remain); garbage-collects dependents by ownerReference. */
  delete(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined;
  /** In-process subscription to every change of a resource, delivered synchronously after each write. */
  subscribe(key: ResourceKey, listener: (event: WatchEvent) => void): () => void;
  /** Current store-wide resourceVersion. */
  resourceVersion(): string;
}
