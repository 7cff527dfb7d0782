import { entryJson, type Entry } from '../history.js';
import type { ResourceDef } from '../resources.js';
import type { ListPage } from '../store.js';

/** The stored JSON, re-stamped with the requested apiVersion when a CRD serves several versions. */
export function objectJson(entry: Entry, apiVersion: string): string {
  if (entry.apiVersion === apiVersion) return entryJson(entry);
  return JSON.stringify({ ...entry.object, apiVersion });
}

export function listMetadata(
  page: Pick<ListPage, 'resourceVersion' | 'continue' | 'remainingItemCount'>,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion };
  if (page.continue) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  return metadata;
}

/** Builds the list body by concatenating each object's cached JSON (no re-serialization of items). */
export function listJson(def: ResourceDef, apiVersion: string, page: ListPage): string {
  const head = JSON.stringify({ kind: def.listKind, apiVersion, metadata: listMetadata(page) });
  const items = page.entries.map((e) => objectJson(e, apiVersion)).join(',');
  return `${head.slice(0, -1)},"items":[${items}]}`;
}
