/**
 * The operator's parts without its loop, against the simulated API server: the caches (synced), the policy, the
 * Event recorder and the fleet view, for the tests of one part at a time (test/operator/reconciler.test.ts,
 * auditor.test.ts). Objects to start with are put in the store before the caches list.
 */
import { pino, type Logger } from 'pino';
import type { RemediationPolicySpec } from '../../src/api/index.js';
import { EventRecorder } from '../../src/kube/event-recorder.js';
import type { KubeRest } from '../../src/kube/rest.js';
import { Caches, type CacheHandlers } from '../../src/operator/caches.js';
import { Fleet } from '../../src/operator/fleet.js';
import { PolicyState } from '../../src/operator/policy-state.js';
import type { KubeObject } from '../../tools/sim/api/types.js';
import { startSimApi, type SimApi } from './sim-api.js';

export const AGENT_NS = 'chainmedic-agent';
const POLICIES = { group: 'chainmedic.io', resource: 'remediationpolicies' };
const noop = () => undefined;

/** Cache handlers that do nothing (the caches still store and index). */
export const NO_HANDLERS: CacheHandlers = {
  nodes: noop,
  remediations: noop,
  policies: noop,
  jobs: noop,
  agentPods: noop,
  daemonSets: noop,
  targetPods: noop,
  events: noop,
  kubeletStarts: noop,
};

export interface OperatorParts {
  sim: SimApi;
  rest: KubeRest;
  log: Logger;
  caches: Caches;
  policy: PolicyState;
  recorder: EventRecorder;
  fleet: Fleet;
  stop(): Promise<void>;
}

export async function startOperatorParts(o: {
  policy: RemediationPolicySpec;
  /** Put in the store before the caches list (`[resource, object]`). */
  objects?: [{ group: string; resource: string }, unknown][];
  mayAct: () => boolean;
}): Promise<OperatorParts> {
  const sim = await startSimApi({ crds: true, namespaces: [AGENT_NS] });
  const { rest } = sim.client;
  sim.store.create(POLICIES, {
    apiVersion: 'chainmedic.io/v1alpha1',
    kind: 'RemediationPolicy',
    metadata: { name: 'default' },
    spec: o.policy,
  } as unknown as KubeObject);
  for (const [resource, object] of o.objects ?? []) sim.store.create(resource, object as KubeObject);
  const log = pino({ level: 'silent' });
  const policy = new PolicyState(['chainmedic:test'], log);
  const caches = new Caches({ rest, agentNamespace: AGENT_NS, log, stopped: () => false }, NO_HANDLERS);
  caches.start();
  await caches.waitForSync();
  policy.refresh(caches.policies.get('default'));
  const recorder = new EventRecorder({ rest });
  const fleet = new Fleet({
    caches,
    policy,
    rest,
    log,
    mayAct: o.mayAct,
    enqueue: noop,
    queueing: () => false,
    unconfirmedPods: () => 0,
    recorder,
  });
  return {
    sim,
    rest,
    log,
    caches,
    policy,
    recorder,
    fleet,
    stop: async () => {
      await caches.stop();
      await sim.close();
    },
  };
}
