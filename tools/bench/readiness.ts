/**
 * The operator's caches are synced once it watches everything it caches: its informers list first and open
 * their watch right after, so the simulated API server seeing every watch is the moment the last list ended.
 * Works for any operator build, with or without a /readyz endpoint.
 */
export const OPERATOR_WATCHES: Readonly<Record<string, number>> = {
  nodes: 1,
  // The azure-npm pods in kube-system and the agent pods in the operator's namespace.
  pods: 2,
  events: 1,
  daemonsets: 1,
  jobs: 1,
  noderemediations: 1,
  remediationpolicies: 1,
};

export async function allWatchesOpen(
  activeWatches: (resource: string) => number | Promise<number>,
  required: Readonly<Record<string, number>> = OPERATOR_WATCHES,
): Promise<boolean> {
  for (const [resource, count] of Object.entries(required)) {
    if ((await activeWatches(resource)) < count) return false;
  }
  return true;
}
