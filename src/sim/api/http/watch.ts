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
  sendInitialEvents: boolean;
  timeoutSeconds: number;
  bookmarkIntervalMs: number;
  forceGone: boolean;
  dropAfterEvents?: number;
  dropProbability?: number;
  dropAbruptly?: boolean;
  roll: () => number;
  /** JSON for the event's object (plain object or a one-row Table). */
  encode: (entry: Entry) => string;
  /** Registers the stream's closer (for injected drops); returns the unregister function. */
  track?: (close: (abrupt: boolean) => void) => () => void;
  /** Per-watch output buffer limit: a consumer this slow is disconnected. */
  maxBufferedBytes?: number;
}

function line(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
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

  const finish = (abrupt = false): void => {
    if (finished) return;
    finished = true;
    watch?.stop();
    untrack?.();
    for (const t of timers) clearTimeout(t);
    if (abrupt) res.destroy();
    else res.end();
  };

  const write = (type: string, objectJson: string, countsAsEvent = true): void => {
    if (finished) return;
    res.write(line(type, objectJson));
    if (res.writableLength > maxBuffered) {
      finish(true);
      return;
    }
    if (!countsAsEvent) return;
    sent++;
    if (w.dropAfterEvents !== undefined && sent >= w.dropAfterEvents) finish(w.dropAbruptly);
    else if (w.dropProbability !== undefined && w.roll() < w.dropProbability) finish(w.dropAbruptly);
  };

  const onEvent = (event: StoreEvent): void => {
    const now = matches(event.entry);
    if (event.type === 'ADDED') {
      if (now) write('ADDED', w.encode(event.entry));
      return;
    }
    if (event.type === 'DELETED') {
      if (now || matches(event.prev)) write('DELETED', w.encode(event.entry));
      return;
    }
    const before = matches(event.prev);
    if (now && before) write('MODIFIED', w.encode(event.entry));
    else if (now) write('ADDED', w.encode(event.entry));
    else if (before) write('DELETED', w.encode(event.entry));
  };

  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: w.store.resourceVersion() };
    if (annotations) metadata.annotations = annotations;
    write('BOOKMARK', JSON.stringify({ kind: w.def.kind, apiVersion: w.apiVersion, metadata }), false);
  };

  const untrack = w.track?.((abrupt) => finish(abrupt));
  req.on('close', () => finish());
  res.on('close', () => finish());

  const rvText = w.resourceVersion;
  const fromStart = rvText === undefined || rvText === '' || rvText === '0';
  try {
    if (fromStart) {
      const initial = w.store.listPage(w.def, { namespace: w.namespace }).entries;
      watch = w.store.watchRaw(w.def, undefined, onEvent);
      for (const entry of initial) if (matches(entry)) write('ADDED', w.encode(entry));
      if (w.sendInitialEvents && w.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      const rv = Number(rvText);
      if (!Number.isInteger(rv) || rv < 0)
        throw new ApiError(400, 'BadRequest', `invalid resource version: ${rvText}`);
      watch = w.store.watchRaw(w.def, rv, onEvent);
      for (const event of watch.replay) onEvent(event);
    }
  } catch (err) {
    write('ERROR', JSON.stringify(statusFromError(err)), false);
    finish();
    return;
  }
  if (finished) return;
  if (w.allowBookmarks && w.bookmarkIntervalMs > 0) {
    const tick = (): void => {
      bookmark();
      if (!finished) timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
  }
  if (w.timeoutSeconds > 0) timers.push(setTimeout(() => finish(), w.timeoutSeconds * 1000));
}
