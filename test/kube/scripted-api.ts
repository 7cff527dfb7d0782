import { KubeApiError } from '../../src/kube/errors.js';
import type { Cached } from '../../src/kube/informer.js';
import type { KubeRest } from '../../src/kube/rest.js';

/**
 * A scripted API server for informer tests: the test answers every list and watch the informer makes, so each
 * step is awaited as an event (never a sleep).
 */

export interface Obj extends Cached {
  v?: string;
}

export const obj = (name: string, resourceVersion: string, v = ''): Obj => ({
  metadata: { name, resourceVersion },
  v,
});

interface Pending<T> {
  query: Record<string, unknown>;
  signal: AbortSignal;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/** A watch stream the test writes lines to, ends, or breaks. */
export class ScriptedStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly body = new ReadableStream<Uint8Array>({ start: (c) => void (this.controller = c) });

  constructor(signal: AbortSignal) {
    signal.addEventListener('abort', () => this.break());
  }

  send(type: string, object: unknown): void {
    this.controller.enqueue(new TextEncoder().encode(`${JSON.stringify({ type, object })}\n`));
  }

  /** The server ends the stream normally (its timeout). */
  end(): void {
    try {
      this.controller.close();
    } catch {
      // already closed
    }
  }

  /** A connection reset. */
  break(): void {
    try {
      this.controller.error(new TypeError('terminated'));
    } catch {
      // already closed
    }
  }
}

export class ScriptedApi {
  private readonly lists: Pending<unknown>[] = [];
  private readonly watches: Pending<ReadableStream<Uint8Array>>[] = [];
  private readonly waiting: (() => void)[] = [];

  /** The two calls an informer makes; both honour the informer's abort signal, as the real client does. */
  readonly rest = {
    get: (_path: string, query: Record<string, unknown>, signal: AbortSignal) =>
      new Promise((resolve, reject) => this.queue(this.lists, { query, signal, resolve, reject })),
    openStream: (_path: string, query: Record<string, unknown>, signal: AbortSignal) =>
      new Promise<ReadableStream<Uint8Array>>((resolve, reject) =>
        this.queue(this.watches, { query, signal, resolve, reject }),
      ),
  } as unknown as KubeRest;

  private queue<T>(into: Pending<T>[], pending: Pending<T>): void {
    into.push(pending);
    pending.signal.addEventListener('abort', () => {
      const i = into.indexOf(pending);
      if (i >= 0) into.splice(i, 1);
      pending.reject(new KubeApiError(0, 'NetworkError', 'aborted'));
    });
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async next<T>(from: Pending<T>[]): Promise<Pending<T>> {
    while (from.length === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return from.shift()!;
  }

  /** Answers the next list request with one page. */
  async list(resourceVersion: string, items: Obj[]): Promise<void> {
    (await this.next(this.lists)).resolve({ metadata: { resourceVersion }, items });
  }

  /** Accepts the next watch request; returns its stream, the resourceVersion and the timeout it asked for. */
  async watch(): Promise<{ stream: ScriptedStream; from: unknown; timeoutSeconds: number }> {
    const request = await this.next(this.watches);
    const stream = new ScriptedStream(request.signal);
    request.resolve(stream.body);
    return {
      stream,
      from: request.query.resourceVersion,
      timeoutSeconds: Number(request.query.timeoutSeconds),
    };
  }

  /** The query of the next watch request, left unanswered (as a server that never answers leaves it). */
  async watchRequested(): Promise<Record<string, unknown>> {
    while (this.watches.length === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.watches[0]!.query;
  }

  /** Requests made and not answered yet. */
  pending(): { lists: number; watches: number } {
    return { lists: this.lists.length, watches: this.watches.length };
  }

  /** Answers the next watch request with 410 Gone: the informer relists. */
  async watchGone(): Promise<void> {
    (await this.next(this.watches)).reject(new KubeApiError(410, 'Expired', 'too old resource version'));
  }
}
