/** How a watch stream ended, and what the informer does next. Pure, so the restart rules are unit-tested. */
export type WatchEnd =
  /** ERROR event or HTTP status 410: the resourceVersion is too old. */
  | { kind: 'gone' }
  /** The server closed the stream normally (its timeout) or the client aborted it on purpose. */
  | { kind: 'closed'; sawEvents: boolean }
  /** The watchdog aborted a stream that stayed silent too long. */
  | { kind: 'silent' }
  /** Any other failure: HTTP error, network error, ERROR event with another code. */
  | { kind: 'error'; code?: number; retryAfterSeconds?: number };

export interface NextAction {
  relist: boolean;
  /** Wait (jittered back-off) before the next request. */
  backoff: boolean;
  /** Counts as a restart (for metrics): anything but a normal server-side close. */
  restart: boolean;
}

/**
 * Watches in a row that ended without delivering a single event or bookmark, after which the informer relists
 * instead of resuming from the same resourceVersion again: a watch that never gets past its replay (it breaks
 * before anything arrives) would otherwise leave the cache behind for as long as that lasts, while it looks
 * healthy. A relist answers with the current state and a current resourceVersion.
 */
export const RELIST_AFTER_STALLED_WATCHES = 3;

/** `stalledWatches`: how many watches in a row, this one included, delivered nothing. */
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
      // Normal end of a long watch: resume from the last resourceVersion. A stream closed without a single
      // event or bookmark may be a server that accepts and drops: back off so we never spin.
      return { relist: false, backoff: !end.sawEvents, restart: !end.sawEvents };
    case 'silent':
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
