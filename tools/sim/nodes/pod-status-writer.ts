/**
 * Writes pod status as kubelet's status manager does: through the pods/status subresource, one write at a time
 * per pod, for this pod's uid only (never another incarnation's), conflicts retried on a fresh read, and an API
 * server that fails (5xx, 429, no answer) retried after a back-off until it answers.
 */
import { apiErrorCode, isConflict, isNotFound } from '../../../src/kube/errors.js';
import type { KubeRest } from '../../../src/kube/rest.js';
import type { KubeObject } from '../api/types.js';

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

const MAX_CONFLICTS = 10;
const RETRY_INITIAL_MS = 50;
const RETRY_MAX_MS = 1_000;

/** The API server did not do it but may next time: no answer, too many requests, or a server error. */
export const isTransient = (err: unknown): boolean => {
  const code = apiErrorCode(err);
  return code === 0 || code === 429 || (code !== undefined && code >= 500);
};

export class PodStatusWriter {
  private readonly queues = new Map<string, Promise<unknown>>();
  private closed = false;
  /** The last status written for each pod (by uid): what the status manager syncs again. */
  private readonly last = new Map<string, { pod: PodRef; status: Record<string, unknown> }>();

  constructor(
    private readonly rest: KubeRest,
    private readonly onError: (what: string, err: unknown) => void,
  ) {}

  /** Queues a status write; resolves with the stored pod, or undefined if the pod (this uid) is gone. */
  write(pod: PodRef, status: Record<string, unknown>): Promise<KubeObject | undefined> {
    this.last.set(pod.uid, { pod, status });
    const previous = this.queues.get(pod.uid) ?? Promise.resolve();
    const next = previous
      .then(() => this.put(pod, status))
      .catch((err: unknown) => {
        if (!this.closed) this.onError(`write the status of pod ${pod.namespace}/${pod.name}`, err);
        return undefined;
      });
    this.queues.set(pod.uid, next);
    void next.finally(() => {
      if (this.queues.get(pod.uid) === next) this.queues.delete(pod.uid);
    });
    return next;
  }

  /**
   * Writes the pod's last status again, as kubelet's status manager does when its kubelet runs again: what
   * others wrote meanwhile (the node lifecycle controller marks the pods of a silent node not Ready) is replaced
   * by what the kubelet knows.
   */
  resync(uid: string): void {
    const last = this.last.get(uid);
    if (last) void this.write(last.pod, last.status);
  }

  forget(uid: string): void {
    this.last.delete(uid);
  }

  /** Resolves once every queued write has ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }

  /** No more retries: queued writes end at their next failure. */
  close(): void {
    this.closed = true;
  }

  private async put(pod: PodRef, status: Record<string, unknown>): Promise<KubeObject | undefined> {
    let delay = RETRY_INITIAL_MS;
    for (;;) {
      try {
        return await this.putOnce(pod, status);
      } catch (err) {
        if (this.closed || !isTransient(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  private async putOnce(pod: PodRef, status: Record<string, unknown>): Promise<KubeObject | undefined> {
    const path = `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`;
    for (let attempt = 0; ; attempt++) {
      let live: KubeObject;
      try {
        live = await this.rest.get<KubeObject>(path);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      if (live.metadata.uid !== pod.uid) return undefined;
      try {
        // The server sets qosClass at creation and never lets it change.
        const qosClass = (live.status as { qosClass?: string } | undefined)?.qosClass;
        const next = { ...status, ...(qosClass ? { qosClass } : {}) };
        return await this.rest.replace<KubeObject>(`${path}/status`, { ...live, status: next });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (!isConflict(err) || attempt >= MAX_CONFLICTS) throw err;
      }
    }
  }
}
