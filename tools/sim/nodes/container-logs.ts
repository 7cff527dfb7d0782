/** What containers printed, current and previous run, as the kubelet API serves them. Pure. */

export interface LogQuery {
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

const key = (namespace: string, pod: string, container: string) => `${namespace}/${pod}/${container}`;

export class ContainerLogs {
  private readonly logs = new Map<string, { current: string; previous?: string }>();

  /** A container (re)started: its current log becomes the previous one. */
  started(namespace: string, pod: string, container: string, log: string): void {
    const k = key(namespace, pod, container);
    const old = this.logs.get(k);
    this.logs.set(k, { current: log, ...(old ? { previous: old.current } : {}) });
  }

  /**
   * The current run ended: while kubelet waits to start it again, both the current and the previous log are
   * this run's (kubelet serves the last container it knows).
   */
  ended(namespace: string, pod: string, container: string): void {
    const entry = this.logs.get(key(namespace, pod, container));
    if (entry) entry.previous = entry.current;
  }

  /** Appends to the current run's log (a run that printed more before it ended). */
  append(namespace: string, pod: string, container: string, text: string): void {
    const entry = this.logs.get(key(namespace, pod, container));
    if (entry) entry.current += text;
    else this.started(namespace, pod, container, text);
  }

  forgetPod(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const k of [...this.logs.keys()]) if (k.startsWith(prefix)) this.logs.delete(k);
  }

  /** The log a query asks for, or a reason it has none (as kubelet answers: 400 with that message). */
  read(
    namespace: string,
    pod: string,
    container: string,
    query: LogQuery,
  ): { log: string } | { error: string } {
    const entry = this.logs.get(key(namespace, pod, container));
    const log = query.previous ? entry?.previous : entry?.current;
    if (log === undefined) {
      return query.previous
        ? { error: `previous terminated container "${container}" in pod "${pod}" not found` }
        : { error: `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating` };
    }
    return { log: selectLog(log, query) };
  }
}

/** kubelet applies tailLines, then limitBytes. */
export function selectLog(log: string, query: Pick<LogQuery, 'tailLines' | 'limitBytes'>): string {
  let lines = log.split(/(?<=\n)/).filter((l) => l !== '');
  if (query.tailLines !== undefined) lines = query.tailLines <= 0 ? [] : lines.slice(-query.tailLines);
  const body = lines.join('');
  if (query.limitBytes === undefined) return body;
  return Buffer.from(body).subarray(0, Math.max(0, query.limitBytes)).toString('utf8');
}
