import { errorMessage } from '../errors.js';
import type { Logger } from 'pino';
import {
  API_VERSION,
  LABEL_NODE,
  NODE_REMEDIATION_KIND,
  isTerminal,
  labelValue,
  type NodeRemediationStatus,
} from '../api/index.js';
import type { TerminalError } from '../controller/terminal.js';
import { refusable } from '../kube/error-class.js';
import { isAlreadyExists, isNotFound } from '../kube/errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { Cached, Informer } from '../kube/informer.js';
import { cordonNode, deletePodByUid, uncordonNode } from '../kube/patch.js';
import { paths } from '../kube/paths.js';
import type { KubeRest } from '../kube/rest.js';
import type { Effect, Step } from '../remediation/index.js';
import { admissionPodFor, type AgentJob } from '../remediation/job.js';
import type { CachedRemediation, TrimmedJob, TrimmedNode } from './trim.js';

export interface ExecutorDeps {
  rest: KubeRest;
  events: EventRecorder;
  remediations: Informer<CachedRemediation>;
  nodes: Informer<TrimmedNode>;
  jobs: Informer<TrimmedJob>;
  /** False once this replica must stop acting (leadership lost, or stopped): checked before every write. */
  mayAct: () => boolean;
  log: Logger;
  /** Called once when a status write moves a remediation into a terminal phase (for metrics). */
  onFinished?: (nr: CachedRemediation, status: NodeRemediationStatus) => void;
}

/**
 * This replica may not act any more (leadership lost, or stopped): nothing was written. Terminal: the next
 * leader term enqueues every node again, so the worker does not retry it.
 */
export class NotActingError extends Error implements TerminalError {
  readonly terminal = true;
  constructor() {
    super('this replica is not the leader any more: nothing written');
    this.name = 'NotActingError';
  }
}

function guard(deps: ExecutorDeps): void {
  if (!deps.mayAct()) throw new NotActingError();
}

/**
 * Performs one Step: the status write FIRST (the intent), then the one effect, then the events. A failed
 * status write throws before the effect; the work queue retries the whole reconcile with back-off. The events
 * tell the status change, so they are recorded once it is written, whatever the effect does; a step without
 * a status write has events that tell its effect, recorded only when the effect succeeded. A call the API
 * server refuses for good throws RefusedError (src/kube/error-class.ts): the caller decides the step after
 * it and runs that one with `bestEffort`.
 *
 * `bestEffort` (the step after a refusal): a failing status write or effect is logged and the rest still
 * runs, so a cordon is released and the Events are written even when the status cannot be.
 */
export async function executeStep(
  deps: ExecutorDeps,
  nodeName: string,
  step: Step,
  remediationForEvents: string | undefined,
  options: { bestEffort?: boolean } = {},
): Promise<void> {
  const attempt = async (what: string, run: () => Promise<void>): Promise<boolean> => {
    if (!options.bestEffort) {
      await run();
      return true;
    }
    try {
      await run();
      return true;
    } catch (err) {
      if (err instanceof NotActingError) throw err;
      deps.log.error({ err: errorMessage(err) }, `${what} failed after a refusal; going on`);
      return false;
    }
  };
  if (step.status) {
    const { name, status } = step.status;
    guard(deps);
    const written = await attempt('status write', () => writeStatus(deps, name, status));
    if (written)
      deps.log.info({ remediation: name, phase: status.phase, reason: status.reason }, status.message ?? '');
  }
  const effect = step.effect;
  let effectDone = effect.type === 'none';
  try {
    if (effect.type !== 'none') {
      guard(deps);
      effectDone = await attempt(`effect ${effect.type}`, () => performEffect(deps, effect));
      if (effectDone)
        deps.log.info(
          { effect: effect.type, remediation: remediationForEvents },
          `effect ${effect.type} done`,
        );
    }
  } finally {
    if (step.status || effectDone) await recordEvents(deps, nodeName, step, remediationForEvents);
  }
}

async function recordEvents(
  deps: ExecutorDeps,
  nodeName: string,
  step: Step,
  remediationForEvents: string | undefined,
): Promise<void> {
  for (const event of step.events) {
    if (!deps.mayAct()) break;
    if (event.on === 'node') {
      const node = deps.nodes.get(nodeName);
      await deps.events.record({
        object: {
          apiVersion: 'v1',
          kind: 'Node',
          name: nodeName,
          ...(node?.metadata.uid ? { uid: node.metadata.uid } : {}),
        },
        type: event.type,
        reason: event.reason,
        message: event.message,
      });
    } else {
      const name = step.status?.name ?? remediationForEvents;
      if (!name) continue;
      const nr = deps.remediations.get(name);
      await deps.events.record({
        object: {
          apiVersion: API_VERSION,
          kind: NODE_REMEDIATION_KIND,
          name,
          ...(nr?.metadata.uid ? { uid: nr.metadata.uid } : {}),
        },
        type: event.type,
        reason: event.reason,
        message: event.message,
      });
    }
  }
}

/** PUT of the status subresource with the cached resourceVersion: a stale cache gets 409, never overwrites. */
async function writeStatus(
  deps: ExecutorDeps,
  name: string,
  status: NonNullable<Step['status']>['status'],
): Promise<void> {
  const cached = deps.remediations.get(name);
  if (!cached) throw new Error(`NodeRemediation ${name} is not in the cache yet`);
  const written = await refusable('status', () =>
    deps.rest.replace(paths.remediationStatus(name), { ...cached, status }),
  );
  deps.remediations.upsert(written);
  if (isTerminal(status.phase) && !isTerminal(cached.status?.phase)) deps.onFinished?.(cached, status);
}

async function performEffect(deps: ExecutorDeps, effect: Effect): Promise<void> {
  switch (effect.type) {
    case 'none':
      return;
    case 'createRemediation': {
      try {
        const created = await refusable('createRemediation', () =>
          deps.rest.create(paths.remediations(), {
            apiVersion: API_VERSION,
            kind: NODE_REMEDIATION_KIND,
            metadata: { name: effect.name, labels: { [LABEL_NODE]: labelValue(effect.spec.nodeName) } },
            spec: effect.spec,
          }),
        );
        deps.remediations.upsert(created);
      } catch (err) {
        // Deterministic name: a second detection of the same episode finds it there.
        if (!isAlreadyExists(err)) throw err;
        await healCache(deps, deps.remediations, effect.name, paths.remediation(effect.name));
      }
      return;
    }
    case 'cordon': {
      if (effect.admitFirst) await admit(deps, effect.admitFirst);
      const node = deps.nodes.get(effect.node);
      // The resourceVersion we decided on: if the node changed since (someone else cordoned it), 409.
      await refusable('cordon', () =>
        cordonNode(deps.rest, effect.node, effect.marker, node?.metadata.resourceVersion),
      );
      return;
    }
    case 'createJob': {
      const { name, namespace } = effect.job.metadata;
      if (effect.admitPodFirst) await admit(deps, effect.job, ['admitPod']);
      try {
        // Read-your-writes, as for the NodeRemediation: the next reconcile sees the Job it just created.
        deps.jobs.upsert(
          await refusable('createJob', () => deps.rest.create(paths.jobs(namespace), effect.job)),
        );
      } catch (err) {
        // Deterministic name: created before (by us or a previous leader).
        if (!isAlreadyExists(err)) throw err;
        await healCache(deps, deps.jobs, `${namespace}/${name}`, paths.job(namespace, name));
      }
      return;
    }
    case 'deletePod':
      await refusable('deletePod', () =>
        deletePodByUid(deps.rest, effect.namespace, effect.name, effect.uid),
      );
      return;
    case 'uncordon': {
      const result = await refusable('uncordon', () =>
        uncordonNode(deps.rest, effect.node, effect.expectMarker),
      );
      if (result !== 'uncordoned')
        deps.log.info({ result }, 'uncordon skipped: the marker no longer names us');
      return;
    }
  }
}

/**
 * Would the API server admit the Job, and the pod the Job controller makes of it? A server-side dry run runs
 * authorization and every admission plugin and webhook, and stores nothing. AlreadyExists comes after
 * admission, so it means admitted. A refusal throws RefusedError.
 */
async function admit(
  deps: ExecutorDeps,
  job: AgentJob,
  calls: ReadonlyArray<'admitJob' | 'admitPod'> = ['admitJob', 'admitPod'],
): Promise<void> {
  const { namespace } = job.metadata;
  const dryRun = { dryRun: 'All' };
  const requests = {
    admitJob: [paths.jobs(namespace), job],
    admitPod: [paths.pods(namespace), admissionPodFor(job)],
  } as const;
  for (const call of calls) {
    const [path, body] = requests[call];
    try {
      await refusable(call, () => deps.rest.create(path, body, dryRun));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

/**
 * AlreadyExists for an object the cache does not hold: the cache disagrees with the server (a create that
 * committed although its answer was an error, a watch event that never arrived). Reads the object and puts it
 * in the cache, so the next reconcile sees it instead of creating it again for ever.
 */
async function healCache<T extends Cached>(
  deps: ExecutorDeps,
  cache: Informer<T>,
  key: string,
  path: string,
): Promise<void> {
  if (cache.get(key)) return;
  let found: unknown;
  try {
    found = await deps.rest.get(path);
  } catch (err) {
    // Deleted since: the next reconcile decides again.
    if (isNotFound(err)) return;
    throw err;
  }
  if (cache.upsert(found))
    deps.log.warn({ object: key }, 'cache healed: the server had an object the cache lacked');
}
