/** Pure builders of the discovery documents (legacy, non-aggregated form) from the served resources. */
import { RESOURCE_VERBS, type ResourceDef } from '../resources.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-chainmedic-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupVersions(defs: ResourceDef[], group: string): string[] {
  const versions: string[] = [];
  for (const def of defs) {
    if (def.group !== group) continue;
    for (const v of def.versions) if (!versions.includes(v)) versions.push(v);
  }
  return versions;
}

function apiGroup(defs: ResourceDef[], group: string): Record<string, unknown> {
  const versions = groupVersions(defs, group);
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: entries, preferredVersion: entries[0] };
}

function namedGroups(defs: ResourceDef[]): string[] {
  const groups: string[] = [];
  for (const def of defs) if (def.group !== '' && !groups.includes(def.group)) groups.push(def.group);
  return groups;
}

export function apiGroupList(defs: ResourceDef[]): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: namedGroups(defs).map((g) => apiGroup(defs, g)) };
}

export function apiGroupDocument(defs: ResourceDef[], group: string): Record<string, unknown> | undefined {
  if (!namedGroups(defs).includes(group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(defs, group) };
}

/** /api/v1 or /apis/<group>/<version>; undefined when that group version is not served. */
export function apiResourceList(
  defs: ResourceDef[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const served = defs.filter((d) => d.group === group && d.versions.includes(version));
  if (served.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const def of [...served].sort((a, b) => a.resource.localeCompare(b.resource))) {
    const entry: Record<string, unknown> = {
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: RESOURCE_VERBS,
    };
    if (def.shortNames.length > 0) entry.shortNames = def.shortNames;
    if (def.categories.length > 0) entry.categories = def.categories;
    resources.push(entry);
    if (def.subresources.includes('status')) {
      resources.push({
        name: `${def.resource}/status`,
        singularName: '',
        namespaced: def.namespaced,
        kind: def.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
    if (def.subresources.includes('log')) {
      resources.push({
        name: `${def.resource}/log`,
        singularName: '',
        namespaced: def.namespaced,
        kind: def.kind,
        verbs: ['get'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}
