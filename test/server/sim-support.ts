import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isTerminal, type NodeRemediation } from '../../src/api/index.js';
import { isNotFound } from '../../src/kube/errors.js';
import { paths } from '../../src/kube/paths.js';
import type { KubeRest } from '../../src/kube/rest.js';
import type { NodeLike } from '../../src/remediation/observe-node.js';
import type { AdmissionLookups } from '../../src/server/admission/lookups.js';
import type { ResourceDef } from '../../tools/sim/api/resources.js';
import type { SimStoreImpl } from '../../tools/sim/api/store.js';

export const CRD_DIR = join(process.cwd(), 'manifests', 'crds');

/** Creates the committed CRDs through the API, as `kubectl apply -k manifests/crds` would. */
export async function installCrds(rest: KubeRest): Promise<void> {
  for (const file of (await readdir(CRD_DIR)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(CRD_DIR, file), 'utf8'))) {
      const object = doc.toJS() as { kind?: string };
      // The directory also holds its kustomization.yaml.
      if (object.kind !== 'CustomResourceDefinition') continue;
      await rest.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', object);
    }
  }
}

function kind(
  group: string,
  resource: string,
  kindName: string,
  namespaced: boolean,
  shortNames: string[] = [],
): ResourceDef {
  return {
    group,
    versions: ['v1'],
    resource,
    singular: kindName.toLowerCase(),
    kind: kindName,
    listKind: `${kindName}List`,
    namespaced,
    shortNames,
    categories: [],
    subresources: [],
    custom: false,
  };
}

/**
 * Kinds the simulated cluster does not serve out of the box but the manifests and the certificate manager
 * use. The sim stores any registered resource generically (no kind-specific validation), which is enough
 * for CRUD, patches and `kubectl apply`; this is noted in docs/install.md's testing section.
 */
export const MISSING_SIM_KINDS: ResourceDef[] = [
  kind('', 'secrets', 'Secret', true),
  kind('', 'serviceaccounts', 'ServiceAccount', true, ['sa']),
  kind('', 'services', 'Service', true, ['svc']),
  kind('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole', false),
  kind('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', false),
  kind('rbac.authorization.k8s.io', 'roles', 'Role', true),
  kind('rbac.authorization.k8s.io', 'rolebindings', 'RoleBinding', true),
  kind('apps', 'deployments', 'Deployment', true, ['deploy']),
  kind('policy', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb']),
  kind(
    'admissionregistration.k8s.io',
    'validatingwebhookconfigurations',
    'ValidatingWebhookConfiguration',
    false,
  ),
];

/** Registers the kinds the sim lacks (only those it does not already serve). */
export function serveMissingKinds(store: SimStoreImpl): string[] {
  const added: string[] = [];
  for (const def of MISSING_SIM_KINDS) {
    if (store.registry.get(def)) continue;
    store.registry.add(def);
    added.push(def.group ? `${def.resource}.${def.group}` : def.resource);
  }
  return added;
}

/** Admission lookups backed by the API server through the real client (the operator uses its caches). */
export function restLookups(rest: KubeRest): AdmissionLookups {
  return {
    getNode: async (name) => {
      try {
        return await rest.get<NodeLike>(paths.node(name));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    activeRemediationFor: async (node) => {
      const list = await rest.get<{ items: NodeRemediation[] }>(paths.remediations());
      return list.items.find((r) => r.spec.nodeName === node && !isTerminal(r.status?.phase))?.metadata.name;
    },
  };
}
