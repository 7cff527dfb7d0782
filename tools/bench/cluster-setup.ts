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

const ESTABLISHED_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

interface CrdState {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/**
 * Installs the NodeRemediation and RemediationPolicy CRDs, as `kubectl apply -k manifests/crds` would, and waits
 * until the API server serves them (Established, as `kubectl wait --for condition=established`): a real one
 * answers 404 for a custom resource until then.
 */
export async function installCrds(rest: KubeRest): Promise<void> {
  const crds = Object.values(buildCrds());
  for (const crd of crds) {
    try {
      await rest.create(CRD_PATH, crd);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const deadline = Date.now() + ESTABLISHED_TIMEOUT_MS;
  for (const crd of crds) {
    const { name } = (crd as { metadata: { name: string } }).metadata;
    for (;;) {
      const state = await rest.get<CrdState>(`${CRD_PATH}/${name}`);
      if (state.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`the CRD ${name} was not established within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
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
