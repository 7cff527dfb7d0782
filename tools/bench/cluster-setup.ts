import { buildCrds } from '../../src/api/crd.js';
import {
  API_VERSION,
  DEFAULT_POLICY_NAME,
  REMEDIATION_POLICY_KIND,
  type RemediationPolicySpec,
} from '../../src/api/index.js';
import { isAlreadyExists } from '../../src/kube/errors.js';
import { paths } from '../../src/kube/paths.js';
import { MERGE_PATCH, type KubeRest } from '../../src/kube/rest.js';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** Installs the NodeRemediation and RemediationPolicy CRDs, as `kubectl apply -k manifests/crds` would. */
export async function installCrds(rest: KubeRest): Promise<void> {
  for (const crd of Object.values(buildCrds())) {
    try {
      await rest.create(CRD_PATH, crd);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

/** Creates the `default` RemediationPolicy with this spec, or merges the spec into the existing one. */
export async function applyPolicy(rest: KubeRest, spec: RemediationPolicySpec): Promise<void> {
  try {
    await rest.create(paths.policies(), {
      apiVersion: API_VERSION,
      kind: REMEDIATION_POLICY_KIND,
      metadata: { name: DEFAULT_POLICY_NAME },
      spec,
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    await rest.patch(paths.policy(DEFAULT_POLICY_NAME), MERGE_PATCH, { spec });
  }
}

/** Sets annotations and/or spec.unschedulable on a node with a merge patch (as an admin's kubectl would). */
export async function patchNode(
  rest: KubeRest,
  node: string,
  change: { annotations?: Record<string, string>; unschedulable?: boolean },
): Promise<void> {
  const patch: Record<string, unknown> = {};
  if (change.annotations) patch.metadata = { annotations: change.annotations };
  if (change.unschedulable !== undefined) patch.spec = { unschedulable: change.unschedulable };
  await rest.patch(paths.node(node), MERGE_PATCH, patch);
}
