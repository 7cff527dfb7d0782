import type { Entry } from '../history.js';
import type { ResourceDef } from '../resources.js';
import { listMetadata } from './serialize.js';
import { columnsFor } from './columns.js';

export interface TableRequest {
  includeObject: 'None' | 'Metadata' | 'Object';
}

/** A Table is wanted when the Accept header names meta.k8s.io Table before any plain JSON. */
export function tableRequest(accept: string | undefined, url: URL): TableRequest | undefined {
  if (!accept) return undefined;
  const first = accept.split(',')[0]!.replace(/\s+/g, '');
  if (!/(^|;)as=Table(;|$)/.test(first) || !/(^|;)g=meta\.k8s\.io(;|$)/.test(first)) return undefined;
  const include = url.searchParams.get('includeObject');
  return { includeObject: include === 'None' || include === 'Object' ? include : 'Metadata' };
}

function rowObject(entry: Entry, include: TableRequest['includeObject']): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return entry.object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: entry.object.metadata };
}

export function tableJson(
  def: ResourceDef,
  entries: Entry[],
  request: TableRequest,
  page: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  now: Date = new Date(),
): string {
  const columns = columnsFor(def);
  const table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata:
      page.resourceVersion !== undefined
        ? listMetadata({ ...page, resourceVersion: page.resourceVersion })
        : {},
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
    rows: entries.map((entry) => ({
      cells: columns.map((c) => c.cell(entry.object, now)),
      object: rowObject(entry, request.includeObject),
    })),
  };
  return JSON.stringify(table);
}
