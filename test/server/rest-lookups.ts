import { isTerminal, type NodeRemediation } from '../../src/api/index.js';
import { isNotFound } from '../../src/kube/errors.js';
import { paths } from '../../src/kube/paths.js';
import type { KubeRest } from '../../src/kube/rest.js';
import type { NodeLike } from '../../src/remediation/observe-node.js';
import type { AdmissionLookups } from '../../src/server/admission/lookups.js';

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
