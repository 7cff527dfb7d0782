/**
 * core/v1 Events as kubelet's recorder writes them through the API: a repeat of the same (object, reason,
 * message) bumps the existing Event's count and lastTimestamp instead of creating another.
 */
import { isNotFound } from '../../../src/kube/errors.js';
import { MERGE_PATCH, type KubeRest } from '../../../src/kube/rest.js';
import { isoSeconds } from '../actors/actor-store.js';
import type { SimRandom } from '../actors/random.js';
import { isTransient } from './pod-status-writer.js';

/** kubelet's recorder tries an Event a dozen times before it drops it; a few are enough here. */
const ATTEMPTS = 5;
const RETRY_MS = 100;

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
  fieldPath?: string;
}

export interface KubeletEvent {
  involved: InvolvedObject;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  /** The node whose kubelet reports it (source.host). */
  host: string;
}

export class EventWriter {
  private readonly seen = new Map<string, { namespace: string; name: string; count: number }>();

  constructor(
    private readonly rest: KubeRest,
    private readonly random: SimRandom,
    private readonly wallNow: () => number,
  ) {}

  async record(event: KubeletEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.recordOnce(event);
      } catch (err) {
        if (!isTransient(err) || attempt >= ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS * attempt));
      }
    }
  }

  private async recordOnce(event: KubeletEvent): Promise<void> {
    const { involved } = event;
    const namespace = involved.namespace ?? 'default';
    const key = [involved.uid, event.reason, event.message, involved.fieldPath ?? ''].join('\0');
    const now = isoSeconds(this.wallNow());
    const known = this.seen.get(key);
    if (known) {
      known.count++;
      try {
        await this.rest.patch(`/api/v1/namespaces/${namespace}/events/${known.name}`, MERGE_PATCH, {
          count: known.count,
          lastTimestamp: now,
        });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.seen.delete(key);
      }
    }
    const name = `${involved.name}.${this.random.hex(16)}`;
    this.seen.set(key, { namespace, name, count: 1 });
    await this.rest.create(`/api/v1/namespaces/${namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: involved,
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: 'kubelet', host: event.host },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: event.host,
    });
  }

  /** Drops what it remembers of an object that is gone. */
  forget(uid: string): void {
    for (const key of [...this.seen.keys()]) if (key.startsWith(`${uid}\0`)) this.seen.delete(key);
  }
}
