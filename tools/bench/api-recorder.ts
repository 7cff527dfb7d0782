import { GROUP, NODE_REMEDIATION_PLURAL, REMEDIATION_POLICY_PLURAL, VERSION } from '../../src/api/index.js';
import type { Cached } from '../../src/kube/cached.js';
import { Informer } from '../../src/kube/informer.js';
import type { KubeRest } from '../../src/kube/rest.js';
import type { FleetTimeline, TimelineEventType, TimelineResource } from './timeline.js';

const SOURCES: Array<[TimelineResource, string]> = [
  ['nodes', '/api/v1/nodes'],
  ['pods', '/api/v1/pods'],
  ['jobs', '/apis/batch/v1/jobs'],
  ['noderemediations', `/apis/${GROUP}/${VERSION}/${NODE_REMEDIATION_PLURAL}`],
  ['remediationpolicies', `/apis/${GROUP}/${VERSION}/${REMEDIATION_POLICY_PLURAL}`],
];

const TYPES = { add: 'ADDED', update: 'MODIFIED', delete: 'DELETED' } as const satisfies Record<
  string,
  TimelineEventType
>;

/**
 * Feeds the timeline from the API server, whichever control plane serves it: a list of what exists, then every
 * change as its watch event arrives, stamped with the arrival time. The chainmedic CRDs must be installed first.
 * Resolves once every list is in; returns the function that stops the watches.
 */
export async function recordApi(
  rest: KubeRest,
  timeline: FleetTimeline,
  now: () => number = Date.now,
): Promise<() => Promise<void>> {
  const informers = SOURCES.map(([resource, path]) => {
    const informer = new Informer<Cached>({ rest, path, transform: (raw) => raw as Cached });
    informer.on((event) => timeline.apply(resource, TYPES[event.type], event.object, now()));
    informer.start();
    return informer;
  });
  const stop = async () => void (await Promise.all(informers.map((i) => i.stop())));
  try {
    await Promise.all(informers.map((i) => i.waitForSync()));
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}
