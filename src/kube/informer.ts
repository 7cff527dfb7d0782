import type { Clock } from '../controller/clock.js';
import { Backoff } from './backoff.js';
import { KubeApiError } from './errors.js';
import { alreadyHeld, isNewer, keyOf, type Cached, type InformerEvent } from './cached.js';
import { Indexer } from './indexer.js';
import { parsePruned, type Shape } from './pruned-json.js';
import type { KubeRest, Query } from './rest.js';
import {
  closedOnTime,
  nextAction,
  stalledAfter,
  watchDeadlineMs,
  watchTimeoutSeconds,
  type NextAction,
  type WatchEnd,
} from './watch-outcome.js';

export type { Cached, InformerEvent };

export interface InformerOptions<T extends Cached> {
  rest: KubeRest;
  /** Collection path, e.g. /api/v1/nodes or /api/v1/namespaces/kube-system/pods. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Keeps only the fields the operator uses: the cache holds what this returns. */
  transform: (raw: unknown) => T;
  /**
   * Every field `transform` reads: list pages and watch events are parsed into only these (trim as you parse);
   * without it, whole.
   */
  shape?: Shape;
  pageSize?: number;
  /**
   * The timeout each watch asks the server for (seconds; default 300, client-go's), jittered up to 2x so replicas
   * do not reconnect in step. The server ends a healthy watch then, quiet or not. It is also how long a quiet
   * watch keeps its place: a watch the server never bookmarks (`events`) can only be resumed from its last
   * resourceVersion, and once etcd has compacted that away, re-opening it costs a relist.
   */
  watchTimeoutSeconds?: number;
  /**
   * A watch still open this long after its timeout is taken for a dead (half-open) connection and re-opened
   * (default 30 s): a dead connection is noticed within timeout + grace, a healthy quiet one is never cut.
   */
  watchGraceMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  /** Time for the watch deadline and the back-off waits; tests inject a fake one. */
  clock?: Clock;
  onError?: (err: unknown) => void;
  /**
   * An update for which this is true changes nothing a reader uses (say, only the resourceVersion): it is
   * stored and indexed, but not announced to the handlers.
   */
  quietUpdate?: (old: T, next: T) => boolean;
  /** Called on every watch restart or relist after the first list (for metrics). */
  onRestart?: () => void;
  /** Called when a watch ends, with the rule's answer (for logs and tests). */
  onWatchEnd?: (end: WatchEnd, action: NextAction) => void;
}

const DEFAULT_WATCH_TIMEOUT_SECONDS = 300;
const DEFAULT_WATCH_GRACE_MS = 30_000;

/** Monotonic, so a wall-clock step never makes a watch look overdue or early. */
const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface RawWatchEvent {
  type?: string;
  object?: { metadata?: { resourceVersion?: string }; code?: number; kind?: string; message?: string };
}

/**
 * A self-healing, paged, trimmed informer. Lists in pages (limit + continue), then watches from the list's
 * resourceVersion with bookmarks, each watch resuming from the last event's or bookmark's. A watch the server
 * ends at its timeout is resumed at once, quiet or not; on 410 it relists; on any other error or an early empty
 * close it backs off (jittered, capped) and resumes; a watch still open past its timeout plus a grace is a dead
 * connection and is re-opened. Unlike the client library's informer it never stops for good.
 */
export class Informer<T extends Cached> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: ((event: InformerEvent<T>) => void)[] = [];
  private readonly indexer = new Indexer<T>();
  private readonly syncWaiters: (() => void)[] = [];
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private readonly clock: Clock;
  private synced = false;
  private stopped = true;
  private restartCount = 0;
  /** Watch events and bookmarks handled (any progress), and watches in a row that handled none. */
  private linesHandled = 0;
  private stalledWatches = 0;
  /** Where the next watch resumes: the last list's, event's or bookmark's resourceVersion. */
  private resourceVersion = '';
  private abort: AbortController | undefined;
  /** Aborts list requests when the informer stops. */
  private lifetime = new AbortController();
  private sleeping: { timer: unknown; resolve: () => void } | undefined;
  private loop: Promise<void> | undefined;
  /** With a shape: what is parsed of a list page, and of a watch event (an ERROR event's Status too). */
  private readonly pageShape: Shape | undefined;
  private readonly eventShape: Shape | undefined;

  constructor(private readonly options: InformerOptions<T>) {
    const shape = options.shape;
    if (shape !== undefined) {
      this.pageShape = { metadata: { resourceVersion: true, continue: true }, items: shape };
      const status = { code: true, reason: true, message: true } as const;
      this.eventShape = { type: true, object: shape === true ? true : { ...shape, ...status } };
    }
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? monotonicClock;
    this.backoff = new Backoff(options.backoffInitialMs ?? 200, options.backoffMaxMs ?? 30_000, this.random);
  }

  on(handler: (event: InformerEvent<T>) => void): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** Adds a secondary index (e.g. by node name), kept from now on by every change the cache announces. */
  addIndex(name: string, valueOf: (obj: T) => string | undefined): void {
    this.indexer.add(name, valueOf, this.cache.entries());
  }

  /** The cached objects whose index `name` holds `value`. */
  byIndex(name: string, value: string): T[] {
    return this.indexer
      .keys(name, value)
      .map((key) => this.cache.get(key))
      .filter((o): o is T => o !== undefined);
  }

  /** Every value index `name` holds (e.g. every node some cached object names). */
  indexValues(name: string): string[] {
    return this.indexer.values(name);
  }

  /**
   * Read-your-writes: puts an object this process just wrote or read (the server's answer) into the cache,
   * unless the cache already holds that version or a newer one, so the next reconcile does not act on what it
   * just changed. Like every change to the cache it is announced to the handlers (add or update), so what
   * they keep (indexes, waiters) never misses an object the cache holds; the watch event of the same version
   * that follows is then not announced again. Returns whether the cache changed.
   */
  upsert(raw: unknown): boolean {
    const obj = this.options.transform(raw);
    const key = keyOf(obj.metadata);
    const before = this.cache.get(key);
    if (alreadyHeld(before, obj)) return false;
    this.cache.set(key, obj);
    this.emit(before ? { type: 'update', object: obj, old: before } : { type: 'add', object: obj });
    return true;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Watch restarts and relists other than the first list (a health signal for metrics). */
  restarts(): number {
    return this.restartCount;
  }

  /** The resourceVersion the next watch resumes from: the last list's, event's or bookmark's. */
  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.lifetime = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.lifetime.abort();
    if (this.sleeping) {
      this.clock.clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.relist();
          needList = false;
          this.stalledWatches = 0;
          this.backoff.reset();
        } catch (err) {
          if (this.stopped) return;
          this.report(err);
          this.countRestart();
          const retryAfterMs = err instanceof KubeApiError ? (err.retryAfterSeconds ?? 0) * 1000 : 0;
          await this.sleep(Math.max(this.backoff.next(), retryAfterMs));
          continue;
        }
      }
      const handledBefore = this.linesHandled;
      const end = await this.watchOnce();
      if (this.stopped) return;
      this.stalledWatches = stalledAfter(this.stalledWatches, end, this.linesHandled !== handledBefore);
      const action = nextAction(end, this.stalledWatches);
      this.options.onWatchEnd?.(end, action);
      if (action.restart) this.countRestart();
      if (action.relist) needList = true;
      if (action.backoff)
        await this.sleep(
          Math.max(this.backoff.next(), (end.kind === 'error' ? (end.retryAfterSeconds ?? 0) : 0) * 1000),
        );
    }
  }

  private async relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let token: string | undefined;
    let rv = '';
    do {
      const query: Query = {
        limit: this.options.pageSize ?? 500,
        continue: token,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      };
      const page = (
        this.pageShape
          ? parsePruned(
              await this.options.rest.getText(this.options.path, query, this.lifetime.signal),
              this.pageShape,
            )
          : await this.options.rest.get(this.options.path, query, this.lifetime.signal)
      ) as { metadata?: { resourceVersion?: string; continue?: string }; items?: unknown[] };
      for (const raw of page.items ?? []) {
        const obj = this.options.transform(raw);
        fresh.set(keyOf(obj.metadata), obj);
      }
      token = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
      if (this.stopped) return;
    } while (token);
    this.replace(fresh, rv);
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /**
   * Swaps the cache for a fresh list and emits the differences, so handlers never miss a change. A version
   * newer than the list (a read-your-writes upsert) is kept: the watch that starts at the list's
   * resourceVersion delivers every change after it, so the cache never steps back to an older version.
   */
  private replace(fresh: Map<string, T>, listRv: string): void {
    const old = new Map(this.cache);
    const next = new Map(fresh);
    for (const [key, obj] of old) if (isNewer(obj.metadata.resourceVersion, listRv)) next.set(key, obj);
    this.cache.clear();
    for (const [key, obj] of next) this.cache.set(key, obj);
    for (const [key, obj] of next) {
      const before = old.get(key);
      if (!before) this.emit({ type: 'add', object: obj });
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.emit({ type: 'update', object: obj, old: before });
    }
    for (const [key, obj] of old) if (!next.has(key)) this.emit({ type: 'delete', object: obj });
  }

  /**
   * One watch, from `resourceVersion`, until the server ends it, an ERROR event, a failure, or its deadline: the
   * server ends a healthy watch at the timeout it asked for, so one still open at timeout + grace is a dead
   * connection (see watch-outcome.ts). Silence alone ends nothing.
   */
  private async watchOnce(): Promise<WatchEnd> {
    const abort = new AbortController();
    this.abort = abort;
    let delivered = false;
    let overdue = false;
    let ended: WatchEnd | undefined;
    const timeoutSeconds = watchTimeoutSeconds(
      this.options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS,
      this.random,
    );
    const requested = this.clock.now();
    const deadline = this.clock.setTimeout(
      () => {
        overdue = true;
        abort.abort();
      },
      watchDeadlineMs(timeoutSeconds, this.options.watchGraceMs ?? DEFAULT_WATCH_GRACE_MS),
    );
    try {
      const stream = await this.options.rest.openStream(
        this.options.path,
        {
          watch: true,
          allowWatchBookmarks: true,
          resourceVersion: this.resourceVersion,
          timeoutSeconds,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        },
        abort.signal,
      );
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of stream) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          ended = this.handleLine(line);
          if (ended) {
            // Closing the stream may reject with an AbortError; `ended` is the answer either way.
            abort.abort();
            return ended;
          }
          delivered = true;
          this.linesHandled++;
          this.backoff.reset();
        }
      }
      return {
        kind: 'closed',
        delivered,
        onTime: closedOnTime(this.clock.now() - requested, timeoutSeconds),
      };
    } catch (err) {
      if (ended) return ended;
      if (this.stopped) return { kind: 'closed', delivered, onTime: false };
      if (overdue) return { kind: 'overdue' };
      if (err instanceof KubeApiError && err.code === 410) return { kind: 'gone' };
      this.report(err);
      return {
        kind: 'error',
        code: err instanceof KubeApiError && err.code > 0 ? err.code : undefined,
        retryAfterSeconds: err instanceof KubeApiError ? err.retryAfterSeconds : undefined,
      };
    } finally {
      this.clock.clearTimeout(deadline);
    }
  }

  /** Applies one watch event; returns how the watch ends when it is an ERROR event. */
  private handleLine(line: string): WatchEnd | undefined {
    let event: RawWatchEvent;
    try {
      event = (this.eventShape ? parsePruned(line, this.eventShape) : JSON.parse(line)) as RawWatchEvent;
    } catch {
      return { kind: 'error' };
    }
    const raw = event.object ?? {};
    if (event.type === 'ERROR') {
      const code = typeof raw.code === 'number' ? raw.code : undefined;
      if (code === 410) return { kind: 'gone' };
      this.report(
        new KubeApiError(code ?? 0, 'WatchError', `watch ${this.options.path}: ${raw.message ?? ''}`),
      );
      return { kind: 'error', code };
    }
    const rv = raw.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      return undefined;
    }
    let obj: T;
    try {
      obj = this.options.transform(raw);
    } catch (err) {
      this.report(err);
      return undefined;
    }
    const key = keyOf(obj.metadata);
    const before = this.cache.get(key);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.emit({ type: 'delete', object: before ?? obj });
    } else if ((event.type === 'ADDED' || event.type === 'MODIFIED') && !alreadyHeld(before, obj)) {
      // A version the cache already holds came in by read-your-writes (and was announced then).
      this.cache.set(key, obj);
      this.emit(before ? { type: 'update', object: obj, old: before } : { type: 'add', object: obj });
    }
    if (rv) this.resourceVersion = rv;
    return undefined;
  }

  private emit(event: InformerEvent<T>): void {
    const key = keyOf(event.object.metadata);
    if (event.type === 'delete') this.indexer.delete(key);
    else this.indexer.set(key, event.object);
    if (event.type === 'update' && this.options.quietUpdate?.(event.old, event.object)) return;
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.report(err);
      }
    }
  }

  private countRestart(): void {
    this.restartCount++;
    this.options.onRestart?.();
  }

  private report(err: unknown): void {
    this.options.onError?.(err);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }
}
