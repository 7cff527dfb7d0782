/**
 * Time for the simulated cluster. Durations given to the clock are simulated
 * durations; `timeScale` maps them to real time (0.01 turns kubelet's 300 s
 * back-off into 3 s). Timestamps written into objects stay on the wall clock,
 * because clients (the operator, kubectl) compare them with their own clock.
 */
export interface SimClock {
  readonly timeScale: number;
  /** Wall-clock milliseconds, for timestamps in objects. */
  wallNow(): number;
  /** Simulated milliseconds since the clock started: advances 1/timeScale times as fast as real time. */
  simNow(): number;
  /** Runs `fn` after `simMs` simulated milliseconds, unless the clock is stopped first. */
  after(simMs: number, fn: () => void): () => void;
  /** Runs `fn` after `realMs` real milliseconds, whatever the time scale (for throttling work). */
  afterRealMs(realMs: number, fn: () => void): () => void;
  /** Runs `fn` every `realMs` real milliseconds (for rates that are not scaled, like status churn). */
  everyRealMs(realMs: number, fn: () => void): () => void;
  /** Resolves after `simMs` simulated milliseconds; rejects with ClockStoppedError if the clock stops first. */
  sleep(simMs: number): Promise<void>;
  readonly stopped: boolean;
  stop(): void;
}

export class ClockStoppedError extends Error {
  constructor() {
    super('simulated clock stopped');
  }
}

export function createClock(options: { timeScale?: number } = {}): SimClock {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new Error(`timeScale must be > 0, got ${timeScale}`);
  const startReal = performance.now();
  const timers = new Set<NodeJS.Timeout>();
  const intervals = new Set<NodeJS.Timeout>();
  const sleepers = new Set<() => void>();
  let stopped = false;

  const clock: SimClock = {
    timeScale,
    get stopped() {
      return stopped;
    },
    wallNow: () => Date.now(),
    simNow: () => (performance.now() - startReal) / timeScale,
    after(simMs, fn) {
      if (stopped) return () => undefined;
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          if (!stopped) fn();
        },
        Math.max(0, simMs * timeScale),
      );
      timers.add(timer);
      return () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
    },
    afterRealMs(realMs, fn) {
      return clock.after(realMs / timeScale, fn);
    },
    everyRealMs(realMs, fn) {
      if (stopped) return () => undefined;
      const timer = setInterval(() => {
        if (!stopped) fn();
      }, realMs);
      intervals.add(timer);
      return () => {
        clearInterval(timer);
        intervals.delete(timer);
      };
    },
    sleep(simMs) {
      return new Promise<void>((resolve, reject) => {
        if (stopped) {
          reject(new ClockStoppedError());
          return;
        }
        const abort = () => reject(new ClockStoppedError());
        sleepers.add(abort);
        clock.after(simMs, () => {
          sleepers.delete(abort);
          resolve();
        });
      });
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      for (const timer of intervals) clearInterval(timer);
      timers.clear();
      intervals.clear();
      for (const abort of sleepers) abort();
      sleepers.clear();
    },
  };
  return clock;
}
