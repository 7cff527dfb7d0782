import { GROUP, NODE_REMEDIATION_PLURAL, REMEDIATION_POLICY_PLURAL } from '../../src/api/index.js';
import type { SimStoreImpl } from '../sim/api/store.js';
import { JOBS, NODES, PODS, type ResourceKey } from '../sim/api/types.js';
import type { FleetTimeline, TimelineResource } from './timeline.js';

const SOURCES: Array<[TimelineResource, ResourceKey]> = [
  ['nodes', NODES],
  ['pods', PODS],
  ['jobs', JOBS],
  ['noderemediations', { group: GROUP, resource: NODE_REMEDIATION_PLURAL }],
  ['remediationpolicies', { group: GROUP, resource: REMEDIATION_POLICY_PLURAL }],
];

/**
 * Feeds the timeline from the simulated cluster's store: what exists now, then every write as it happens, with
 * the wall time of the write. The chainmedic CRDs must be installed first. Returns the function that stops it.
 */
export function recordStore(
  store: SimStoreImpl,
  timeline: FleetTimeline,
  now: () => number = Date.now,
): () => void {
  const stops: Array<() => void> = [];
  for (const [resource, key] of SOURCES) {
    const at = now();
    // Existing objects first, in the same tick as the subscription, so no write falls in between.
    for (const entry of store.listPage(key).entries) timeline.apply(resource, 'ADDED', entry.object, at);
    const watch = store.watchRaw(key, undefined, (event) => {
      timeline.apply(resource, event.type, event.entry.object, now());
    });
    stops.push(() => watch.stop());
  }
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}
