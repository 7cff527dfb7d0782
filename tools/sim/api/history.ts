import type { KubeObject, WatchEventType } from './types.js';

/**
 * A stored object version with its JSON. Never mutated once stored. Superseded versions (kept only by the
 * event history) are "cooled": the parsed object is dropped and re-parsed on demand from the JSON, so the
 * history costs one string per event rather than a whole object graph.
 */
export class Entry {
  private hot: KubeObject | undefined;
  readonly apiVersion: string;

  constructor(
    readonly json: string,
    object: KubeObject,
  ) {
    this.hot = object;
    this.apiVersion = object.apiVersion;
  }

  get object(): KubeObject {
    return this.hot ?? (JSON.parse(this.json) as KubeObject);
  }

  cool(): void {
    this.hot = undefined;
  }
}

export function entryJson(entry: Entry): string {
  return entry.json;
}

/** One change in the store, as retained for watches and consistent paging. */
export interface StoreEvent {
  rv: number;
  bucket: string;
  /** Object key inside its bucket: "namespace/name" or "name". */
  key: string;
  type: Exclude<WatchEventType, 'BOOKMARK'>;
  entry: Entry;
  /** The version before this change (MODIFIED, DELETED). */
  prev?: Entry;
}

/** A bounded, ordered log of the most recent store events. */
export class EventHistory {
  private readonly ring: (StoreEvent | undefined)[];
  private start = 0;
  private size = 0;
  /** Every event with rv greater than this is retained. */
  private retainedAfter = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<StoreEvent | undefined>(capacity);
  }

  push(event: StoreEvent): void {
    if (this.capacity === 0) {
      this.retainedAfter = event.rv;
      return;
    }
    if (this.size === this.capacity) {
      this.retainedAfter = this.ring[this.start]!.rv;
      this.ring[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.size) % this.capacity] = event;
      this.size++;
    }
  }

  /** True when every event after `rv` is still retained. */
  covers(rv: number): boolean {
    return rv >= this.retainedAfter;
  }

  oldestRetainedAfter(): number {
    return this.retainedAfter;
  }

  private at(i: number): StoreEvent {
    return this.ring[(this.start + i) % this.capacity]!;
  }

  /** Events with rv > `rv`, oldest first, optionally only of one bucket. */
  since(rv: number, bucket?: string): StoreEvent[] {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: StoreEvent[] = [];
    for (let i = lo; i < this.size; i++) {
      const event = this.at(i);
      if (bucket === undefined || event.bucket === bucket) out.push(event);
    }
    return out;
  }
}
