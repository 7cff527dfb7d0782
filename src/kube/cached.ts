/** What an informer's cache holds, how it keys it, and how it tells versions apart. */
export interface Cached {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
}

export type InformerEvent<T> =
  { type: 'add'; object: T } | { type: 'update'; object: T; old: T } | { type: 'delete'; object: T };

export const keyOf = (m: Cached['metadata']): string => (m.namespace ? `${m.namespace}/${m.name}` : m.name);

/** resourceVersions are opaque; compare them only when both are integers (they are, on etcd-backed servers). */
export function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

/** The cache already holds this version of the object, or a newer one: nothing to apply or announce. */
export function alreadyHeld(cached: Cached | undefined, incoming: Cached): boolean {
  if (!cached) return false;
  const had = cached.metadata.resourceVersion;
  const got = incoming.metadata.resourceVersion;
  return (had !== undefined && had === got) || isNewer(had, got);
}
