import { ApiError, type KubeObject, type ResourceKey, type SimStore } from '../api/types.js';

/**
 * Read-modify-write of an object's status, retried on conflict; a vanished object is
 * not an error for an actor (someone deleted it meanwhile). Returns the stored object.
 */
export function updateStatus(
  store: SimStore,
  key: ResourceKey,
  namespace: string | undefined,
  name: string,
  mutate: (object: KubeObject) => void,
): KubeObject | undefined {
  return retryingUpdate(store, key, namespace, name, mutate, 'status');
}

/** The same for the main resource (spec, metadata). */
export function updateObject(
  store: SimStore,
  key: ResourceKey,
  namespace: string | undefined,
  name: string,
  mutate: (object: KubeObject) => void,
): KubeObject | undefined {
  return retryingUpdate(store, key, namespace, name, mutate, undefined);
}

function retryingUpdate(
  store: SimStore,
  key: ResourceKey,
  namespace: string | undefined,
  name: string,
  mutate: (object: KubeObject) => void,
  subresource: 'status' | undefined,
): KubeObject | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = store.get(key, namespace, name);
    if (!current) return undefined;
    mutate(current);
    try {
      return store.update(key, current, subresource ? { subresource } : {});
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) continue;
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }
  return undefined;
}

export function isoSeconds(wallMs: number): string {
  return new Date(Math.floor(wallMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
