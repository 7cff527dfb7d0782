import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KubeRest } from './rest.js';

export interface KubeClient {
  kubeConfig: KubeConfig;
  /** Plain-JSON calls (what the operator uses). */
  rest: KubeRest;
  core: CoreV1Api;
  batch: BatchV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
}

/** In-cluster configuration when no kubeconfig path is given; otherwise that file's current context. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  return kc;
}

export function kubeClient(kubeconfigPath?: string): KubeClient {
  const kc = loadKubeConfig(kubeconfigPath);
  return {
    kubeConfig: kc,
    rest: new KubeRest(kc),
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/**
 * Per-call options for the typed APIs: the generated patch methods default to json-patch, so a merge patch
 * must set its Content-Type through a header middleware.
 */
export const mergePatchOptions = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const jsonPatchOptions = () => setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
