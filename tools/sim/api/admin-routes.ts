import type { AdminRoutes } from './admin.js';
import { faultRuleProblem, type FaultInjector, type FaultRule, type OneShotTarget } from './faults.js';
import type { RequestLog } from './request-log.js';
import type { SimStoreImpl } from './store.js';

interface FaultsBody {
  seed?: number;
  rules?: FaultRule[];
  forceGone?: OneShotTarget[];
  conflicts?: OneShotTarget[];
}

/** The server's own admin endpoints: faults and request counters. */
export function registerBuiltinAdminRoutes(
  admin: AdminRoutes,
  deps: { faults: FaultInjector; requests: RequestLog; store: SimStoreImpl },
): void {
  const { faults, requests, store } = deps;
  admin.route('GET', '/sim/faults', () => ({ body: faults.snapshot() }));
  admin.route('PUT', '/sim/faults', (req) => {
    const body = (req.body ?? {}) as FaultsBody;
    if (typeof body !== 'object' || Array.isArray(body))
      return { status: 400, body: { error: 'body must be a JSON object' } };
    if (body.rules !== undefined && !Array.isArray(body.rules))
      return { status: 400, body: { error: 'rules must be an array' } };
    for (const [i, rule] of (body.rules ?? []).entries()) {
      const problem = faultRuleProblem(rule);
      if (problem) return { status: 400, body: { error: `rules[${i}]: ${problem}` } };
    }
    faults.clear();
    if (body.seed !== undefined) faults.reseed(Number(body.seed));
    faults.set(body.rules ?? []);
    for (const t of body.forceGone ?? []) faults.forceGoneOnNextWatch(t);
    for (const t of body.conflicts ?? []) faults.conflictOnNextWrite(t);
    return { body: faults.snapshot() };
  });
  admin.route('DELETE', '/sim/faults', () => {
    faults.clear();
    return { body: faults.snapshot() };
  });
  admin.route('GET', '/sim/watches', (req) => ({
    body: { active: faults.activeWatches({ resource: req.query.get('resource') ?? undefined }) },
  }));
  admin.route('POST', '/sim/watches/drop', (req) => {
    const body = (req.body ?? {}) as OneShotTarget & { abrupt?: boolean };
    return {
      body: {
        dropped: faults.dropActiveWatches({ resource: body.resource, name: body.name }, body.abrupt === true),
      },
    };
  });
  admin.route('GET', '/sim/requests', () => ({ body: requests.snapshot() }));
  admin.route('POST', '/sim/requests/reset', () => {
    requests.reset();
    return { body: requests.snapshot() };
  });
  admin.route('GET', '/sim/store', () => ({ body: { resourceVersion: store.resourceVersion() } }));
}
