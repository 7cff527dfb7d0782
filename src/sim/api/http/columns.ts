import type { KubeObject } from '../types.js';
import type { ResourceDef } from '../resources.js';
import { ageSince } from './age.js';

export interface Column {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  cell: (object: KubeObject, now: Date) => unknown;
}

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name,
};

const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => ageSince(o.metadata.creationTimestamp, now),
};

export function columnsFor(_def: ResourceDef): Column[] {
  return [nameColumn, ageColumn];
}
