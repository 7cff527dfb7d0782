/**
 * The ServiceAccount admission plugin and controller, as a real cluster has them: a pod is admitted only when
 * the ServiceAccount it names (`default` when it names none) exists in its namespace, and every namespace gets a
 * `default` ServiceAccount when it is created (the real controller does that moments later; here at once).
 * Conformance cases in test/control-plane/conformance-cases.ts pin the refusal on both control planes.
 */
import { ApiError, type KubeObject } from './types.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

/** The ServiceAccount a new pod runs as; an empty one becomes `default`, as the plugin writes it. */
export function admittedServiceAccount(pod: KubeObject): string {
  const spec = (pod.spec ?? (pod.spec = {})) as { serviceAccountName?: string; serviceAccount?: string };
  const name = spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
  spec.serviceAccountName = name;
  return name;
}

/** The 403 kube-apiserver answers (word for word) for a pod naming a ServiceAccount that does not exist. */
export function missingServiceAccount(pod: string, namespace: string, serviceAccount: string): ApiError {
  return new ApiError(
    403,
    'Forbidden',
    `pods "${pod}" is forbidden: error looking up service account ${namespace}/${serviceAccount}: serviceaccount "${serviceAccount}" not found`,
    { name: pod, kind: 'pods' },
  );
}

export function defaultServiceAccount(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace },
  };
}
