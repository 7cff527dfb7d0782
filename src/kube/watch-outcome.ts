/**
 * How a watch stream ended, and what the informer does next. Pure (the clock's readings come in as numbers), so
 * the restart rules are unit-tested.
 *
 * Every watch asks the server for a timeout (`timeoutSeconds`), and the server ends a healthy watch then, whether
 * anything happened or not. That is the informer's clock for a watch:
 * - a quiet watch the server closes at its timeout is healthy: resume at once from the same resourceVersion, no
 *   back-off, not a restart. A real kube-apiserver sends no bookmark on a watch it serves from etcd rather than
 *   its watch cache (`events`), nor on a quiet one until its cache has moved past the watch's resourceVersion,
 *   so silence proves nothing;
 * - a watch still open when its timeout plus a grace has passed is a dead (half-open) connection: abandon it and
 *   resume, so a dead connection is noticed within that bound and a healthy one is never cut;
 * - a close well before the timeout with nothing delivered is a server that accepts and drops: back off.
 */
export type WatchEnd =
  /** ERROR event or HTTP status 410: the resourceVersion is too old (compacted, or older than the watch cache). */
  | { kind: 'gone' }
  /** The server ended the stream without an error; `onTime`: at or after the timeout the watch asked for. */
  | { kind: 'closed'; delivered: boolean; onTime: boolean }
  /** Still open at the deadline (timeout + grace): the connection is taken for dead and aborted. */
  | { kind: 'overdue' }
  /** Any other failure: HTTP error, network error, ERROR event with another code. */
  | { kind: 'error'; code?: number; retryAfterSeconds?: number };

export interface NextAction {
  relist: boolean;
  /** Wait (jittered back-off) before the next request. */
  backoff: boolean;
  /** Counts as a restart (for metrics): anything but a watch that ended the way a healthy one does. */
  restart: boolean;
}

/**
 * The timeout each watch asks for: `baseSeconds` jittered up to 2x, as client-go's reflector does ([5, 10) min by
 * default there), so replicas do not reconnect in step. Whole seconds: that is what the API takes.
 */
export function watchTimeoutSeconds(baseSeconds: number, random: () => number): number {
  return Math.max(1, Math.round(baseSeconds * (1 + random())));
}

/**
 * When a watch that is still open is taken for dead, counted from the moment it was requested: the server ends
 * it at `timeoutSeconds` after it began serving it, so the grace covers the time before that (connecting, the
 * apiserver's admission queue, a watch cache catching up) and the time the close takes to arrive.
 */
export function watchDeadlineMs(timeoutSeconds: number, graceMs: number): number {
  return timeoutSeconds * 1000 + graceMs;
}

/**
 * Timer and clock granularity: the client's clock starts before the request leaves, the server's after it
 * arrives, so a close at the server's timeout is never seen earlier than `timeoutSeconds` after the request.
 */
export const ON_TIME_TOLERANCE_MS = 250;

/** A server-side close this long after the request is the server's own timeout: how a healthy watch ends. */
export function closedOnTime(elapsedMs: number, timeoutSeconds: number): boolean {
  return elapsedMs + ON_TIME_TOLERANCE_MS >= timeoutSeconds * 1000;
}

/**
 * Watches in a row that ended without delivering a single event or bookmark, after which the informer relists
 * instead of resuming from the same resourceVersion again: a watch that never gets past its replay (it breaks
 * before anything arrives) would otherwise leave the cache behind for as long as that lasts, while it looks
 * healthy. A relist answers with the current state and a current resourceVersion.
 */
export const RELIST_AFTER_STALLED_WATCHES = 3;

/**
 * The stall count after a watch ended (`delivered`: it handled at least one event or bookmark). A quiet watch
 * the server closed at its timeout is not a stall: it is how a healthy watch ends when nothing changes, and
 * counting it would relist every quiet informer every few watch periods.
 */
export function stalledAfter(previous: number, end: WatchEnd, delivered: boolean): number {
  if (delivered || (end.kind === 'closed' && end.onTime)) return 0;
  return previous + 1;
}

/** `stalledWatches`: how many watches in a row, this one included, stalled (see `stalledAfter`). */
export function nextAction(end: WatchEnd, stalledWatches = 0): NextAction {
  const action = restartRule(end);
  if (stalledWatches >= RELIST_AFTER_STALLED_WATCHES && !action.relist) return { ...action, relist: true };
  return action;
}

function restartRule(end: WatchEnd): NextAction {
  switch (end.kind) {
    case 'gone':
      // Relist at once: the data is there, only our resourceVersion is too old.
      return { relist: true, backoff: false, restart: true };
    case 'closed':
      // Normal end of a watch: resume from the last resourceVersion. A stream closed early without a single
      // event or bookmark may be a server that accepts and drops: back off so we never spin.
      if (end.delivered || end.onTime) return { relist: false, backoff: false, restart: false };
      return { relist: false, backoff: true, restart: true };
    case 'overdue':
      // The server would have closed it by now: a dead connection. A new one resumes where it left off.
      return { relist: false, backoff: false, restart: true };
    case 'error':
      // 5xx/429/network: the server is unwell; back off and resume. A 4xx other than 410/429 means our
      // request or resourceVersion is wrong: relist from scratch.
      return {
        relist: end.code !== undefined && end.code >= 400 && end.code < 500 && end.code !== 429,
        backoff: true,
        restart: true,
      };
  }
}
