import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../types.js';
import type { ResourceDef } from '../resources.js';
import type { Entry, StoreEvent } from '../history.js';
import type { SimStoreImpl, RawWatch } from '../store.js';
import { matchesFilter, type ObjectFilter } from '../selectors.js';
import { statusFromError } from './status.js';

export interface WatchRequest {
  store: SimStoreImpl;
  def: ResourceDef;
  apiVersion: string;
  namespace?: string;
  filter: ObjectFilter;
  /** undefined, '' and '0' start with the current state as ADDED events. */
  resourceVersion?: string;
  allowBookmarks: boolean;
  /** As the request says; unset with no resourceVersion (or "0") means true, as a real apiserver defaults it. */
  sendInitialEvents?: boolean;
  /** False where a real apiserver has no watch cache (events): no bookmark but the initial-events-end one. */
  cached: boolean;
  timeoutSeconds: number;
  bookmarkIntervalMs: number;
  forceGone: boolean;
  dropAfterEvents?: number;
  dropProbability?: number;
  dropAbruptly?: boolean;
  roll: () => number;
  /** JSON for the event's object (plain object or a one-row Table). */
  encode: (entry: Entry) => string;
  /** Set when `encode` depends only on the entry and this key: encoded lines are then shared by all such watchers. */
  shareKey?: string;
  /** Registers the stream's closer (for injected drops); returns the unregister function. */
  track?: (close: (abrupt: boolean) => void) => () => void;
  /** Per-watch output buffer limit: a consumer this slow is disconnected. */
  maxBufferedBytes?: number;
}

function line(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

/** Encoded event lines shared by every watcher that encodes an entry the same way (fan-out encodes once). */
const sharedLines = new WeakMap<Entry, Map<string, Buffer>>();

function sharedLine(entry: Entry, type: string, shareKey: string, encode: (entry: Entry) => string): Buffer {
  let byKey = sharedLines.get(entry);
  if (!byKey) sharedLines.set(entry, (byKey = new Map()));
  const key = `${type}\0${shareKey}`;
  let buf = byKey.get(key);
  if (!buf) byKey.set(key, (buf = Buffer.from(line(type, encode(entry)), 'utf8')));
  return buf;
}

/** Streams watch events as newline-delimited JSON until timeout, client close, or an injected drop. */
export function serveWatch(req: IncomingMessage, res: ServerResponse, w: WatchRequest): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  if (w.forceGone) {
    const rv = w.resourceVersion ?? '0';
    res.end(
      line(
        'ERROR',
        JSON.stringify(statusFromError(new ApiError(410, 'Expired', `too old resource version: ${rv}`))),
      ),
    );
    return;
  }
  const inNamespace = (entry: Entry): boolean =>
    !w.namespace || entry.object.metadata.namespace === w.namespace;
  const matches = (entry: Entry | undefined): boolean =>
    entry !== undefined && inNamespace(entry) && matchesFilter(w.filter, entry.object);
  const maxBuffered = w.maxBufferedBytes ?? 64 * 1024 * 1024;
  let sent = 0;
  let finished = false;
  let watch: RawWatch | undefined;
  const timers: NodeJS.Timeout[] = [];

  let corked = false;
  /**
   * Ends the stream: cleanly (`end`), as a connection that breaks after the last event written (`break`: what
   * was written reaches the client, then the stream stops without its last chunk, which the client sees as a
   * network error), or by discarding what is still buffered (`reset`: a consumer too slow to keep).
   * A break must not discard the events written before it in the same tick (they are corked): the client
   * would resume from the same resourceVersion, get the same replay, and never get past it.
   */
  const finish = (how: 'end' | 'break' | 'reset' = 'end'): void => {
    if (finished) return;
    finished = true;
    watch?.stop();
    untrack?.();
    for (const t of timers) clearTimeout(t);
    if (how === 'reset') {
      res.destroy();
      return;
    }
    if (corked) {
      corked = false;
      res.uncork();
    }
    if (how === 'end') res.end();
    else if (res.socket) res.socket.end();
    else res.destroy();
  };
  const drop = (abrupt: boolean | undefined) => finish(abrupt ? 'break' : 'end');

  const write = (type: string, payload: string | Buffer, countsAsEvent = true): void => {
    if (finished) return;
    if (!corked) {
      // Events written in the same tick leave in one chunk.
      corked = true;
      res.cork();
      process.nextTick(() => {
        if (!corked) return;
        corked = false;
        res.uncork();
      });
    }
    res.write(typeof payload === 'string' ? line(type, payload) : payload);
    if (res.writableLength > maxBuffered) {
      finish('reset');
      return;
    }
    if (!countsAsEvent) return;
    sent++;
    if (w.dropAfterEvents !== undefined && sent >= w.dropAfterEvents) drop(w.dropAbruptly);
    else if (w.dropProbability !== undefined && w.roll() < w.dropProbability) drop(w.dropAbruptly);
  };

  const emit = (type: string, entry: Entry): void => {
    if (w.shareKey === undefined) write(type, w.encode(entry));
    else write(type, sharedLine(entry, type, w.shareKey, w.encode));
  };

  const onEvent = (event: StoreEvent): void => {
    const now = matches(event.entry);
    if (event.type === 'ADDED') {
      if (now) emit('ADDED', event.entry);
      return;
    }
    if (event.type === 'DELETED') {
      if (now || matches(event.prev)) emit('DELETED', event.entry);
      return;
    }
    const before = matches(event.prev);
    if (now && before) emit('MODIFIED', event.entry);
    else if (now) emit('ADDED', event.entry);
    else if (before) emit('DELETED', event.entry);
  };

  const bookmark = (rv: number, annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (annotations) metadata.annotations = annotations;
    write('BOOKMARK', JSON.stringify({ kind: w.def.kind, apiVersion: w.apiVersion, metadata }), false);
  };

  const untrack = w.track?.(drop);
  req.on('close', () => finish());
  res.on('close', () => finish());

  // Like a real apiserver's watch cache: `delivered` is the newest resourceVersion this watch has already
  // covered (its start, then its replayed history); `latest` the newest change of the resource seen since,
  // selected or not. A periodic bookmark carries `latest`, and only once it is newer than `delivered`: a quiet
  // watch gets none, and neither does one whose last change it already replayed.
  const rvText = w.resourceVersion;
  const fromStart = rvText === undefined || rvText === '' || rvText === '0';
  const initialEvents = w.sendInitialEvents ?? fromStart;
  let delivered = 0;
  let latest = 0;
  const live = (event: StoreEvent): void => {
    latest = Math.max(latest, event.rv);
    onEvent(event);
  };
  try {
    if (fromStart) {
      const page = w.store.listPage(w.def, { namespace: w.namespace });
      watch = w.store.watchRaw(w.def, undefined, live);
      delivered = latest = Number(page.resourceVersion);
      if (initialEvents) for (const entry of page.entries) if (matches(entry)) emit('ADDED', entry);
    } else {
      const rv = Number(rvText);
      if (!Number.isInteger(rv) || rv < 0)
        throw new ApiError(400, 'BadRequest', `invalid resource version: ${rvText}`);
      watch = w.store.watchRaw(w.def, rv, live);
      delivered = rv;
      for (const event of watch.replay) {
        onEvent(event);
        delivered = Math.max(delivered, event.rv);
      }
      latest = Math.max(latest, delivered);
    }
    if (initialEvents && w.allowBookmarks) bookmark(delivered, { 'k8s.io/initial-events-end': 'true' });
  } catch (err) {
    write('ERROR', JSON.stringify(statusFromError(err)), false);
    finish();
    return;
  }
  if (finished) return;
  if (w.allowBookmarks && w.cached) {
    const progress = (): void => {
      if (latest > delivered) bookmark(latest);
    };
    if (w.bookmarkIntervalMs > 0) {
      const tick = (): void => {
        progress();
        if (!finished) timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
      };
      timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
    }
    // And one two seconds before the timeout, so a client resumes from as recent a version as possible.
    const pretimeoutMs = w.timeoutSeconds * 1000 - 2000;
    if (w.timeoutSeconds > 0 && pretimeoutMs > 0) timers.push(setTimeout(progress, pretimeoutMs));
  }
  if (w.timeoutSeconds > 0) timers.push(setTimeout(() => finish(), w.timeoutSeconds * 1000));
}
