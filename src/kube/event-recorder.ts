import { randomBytes } from 'node:crypto';
import { paths } from './paths.js';
import { MERGE_PATCH, type KubeRest } from './rest.js';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  namespace?: string;
}

export interface EventInput {
  object: InvolvedObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface EventRecorderOptions {
  rest: KubeRest;
  /** Events about cluster-scoped objects live in this namespace ("default" like kubectl and kubelet do). */
  namespace?: string;
  component?: string;
  /** Same object + type + reason within this window: the existing Event's count is bumped instead. */
  aggregateWindowMs?: number;
  now?: () => number;
  onError?: (err: unknown, input: EventInput) => void;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastMs: number;
}

/**
 * Records core/v1 Events. Events are best effort: a failure is reported to onError and never thrown, so
 * a flaky API server cannot turn a successful reconcile into a retry loop. Repeats are aggregated into one
 * Event with a count, so a loop cannot flood the API server with objects.
 */
export class EventRecorder {
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly rest: KubeRest;
  private readonly namespace: string;
  private readonly component: string;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown, input: EventInput) => void;

  constructor(options: EventRecorderOptions) {
    this.rest = options.rest;
    this.namespace = options.namespace ?? 'default';
    this.component = options.component ?? 'chainmedic';
    this.windowMs = options.aggregateWindowMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
  }

  async record(input: EventInput): Promise<void> {
    try {
      await this.write(input);
    } catch (err) {
      this.onError(err, input);
    }
  }

  private async write(input: EventInput): Promise<void> {
    const now = this.now();
    const iso = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const key = [
      input.object.kind,
      input.object.namespace ?? '',
      input.object.name,
      input.object.uid ?? '',
      input.type,
      input.reason,
    ].join('\u0000');
    this.prune(now);
    const previous = this.aggregates.get(key);
    if (previous && now - previous.lastMs <= this.windowMs) {
      previous.count += 1;
      previous.lastMs = now;
      try {
        await this.rest.patch(paths.event(previous.namespace, previous.name), MERGE_PATCH, {
          count: previous.count,
          lastTimestamp: iso,
          message: input.message,
        });
        return;
      } catch {
        // The Event expired or was deleted: create a fresh one below.
        this.aggregates.delete(key);
      }
    }
    const namespace = input.object.namespace ?? this.namespace;
    const name = `${input.object.name}.${randomBytes(8).toString('hex')}`.slice(-253);
    await this.rest.create(paths.events(namespace), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: input.object.apiVersion,
        kind: input.object.kind,
        name: input.object.name,
        ...(input.object.uid ? { uid: input.object.uid } : {}),
        ...(input.object.namespace ? { namespace: input.object.namespace } : {}),
      },
      reason: input.reason,
      message: input.message.slice(0, 1024),
      type: input.type,
      count: 1,
      firstTimestamp: iso,
      lastTimestamp: iso,
      source: { component: this.component },
      reportingComponent: this.component,
    });
    this.aggregates.set(key, { name, namespace, count: 1, firstTimestamp: iso, lastMs: now });
  }

  private prune(now: number): void {
    if (this.aggregates.size < 1000) return;
    for (const [key, agg] of this.aggregates)
      if (now - agg.lastMs > this.windowMs) this.aggregates.delete(key);
  }
}
