import { EVENTS, type KubeObject, type SimStore } from '../api/types.js';
import { isoSeconds } from './actor-store.js';
import type { SimRandom } from './random.js';

export interface EventSpec {
  involved: KubeObject;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  component: string;
  host?: string;
  fieldPath?: string;
}

/**
 * Records core/v1 Events the way kubelet's recorder does: a repeat of the same
 * (object, reason, message) bumps count and lastTimestamp of the existing Event.
 */
export class EventRecorder {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly store: SimStore,
    private readonly random: SimRandom,
    private readonly wallNow: () => number,
  ) {}

  record(spec: EventSpec): KubeObject {
    const meta = spec.involved.metadata;
    const namespace = meta.namespace ?? 'default';
    const dedupKey = `${meta.uid}\0${spec.reason}\0${spec.message}\0${spec.fieldPath ?? ''}`;
    const now = isoSeconds(this.wallNow());
    const existingName = this.names.get(dedupKey);
    const existing = existingName ? this.store.get(EVENTS, namespace, existingName) : undefined;
    if (existing) {
      existing.count = ((existing.count as number | undefined) ?? 1) + 1;
      existing.lastTimestamp = now;
      return this.store.update(EVENTS, existing);
    }
    const name = `${meta.name}.${this.random.hex(16)}`;
    this.names.set(dedupKey, name);
    return this.store.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: spec.involved.apiVersion,
        kind: spec.involved.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
        ...(spec.fieldPath ? { fieldPath: spec.fieldPath } : {}),
      },
      reason: spec.reason,
      message: spec.message,
      source: { component: spec.component, ...(spec.host ? { host: spec.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: spec.type,
      eventTime: null,
      reportingComponent: spec.component,
      reportingInstance: spec.host ?? '',
    });
  }

  /** Drops dedup state for an object that is gone. */
  forget(uid: string | undefined): void {
    if (!uid) return;
    for (const k of [...this.names.keys()]) if (k.startsWith(`${uid}\0`)) this.names.delete(k);
  }
}
