import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  type KubeConfig,
} from '@kubernetes/client-node';
import { errorFromResponse, KubeApiError } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RestOptions {
  query?: Query;
  body?: unknown;
  /** Content-Type of the body; JSON by default. Patches must name their type explicitly. */
  contentType?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  /** Cancels the request (e.g. an informer that is stopping). */
  signal?: AbortSignal;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Plain-JSON access to the API server through the client library's own authentication (KubeConfig) and HTTP
 * stack. The typed APIs deserialize into classes with Date fields; the operator's caches and decisions work
 * on the JSON the server sends, so every call here returns exactly that.
 */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export class KubeRest {
  private readonly http = new IsomorphicFetchHttpLibrary();
  /** The connection pool requests share while the TLS identity they would get stays the same. */
  private shared: { identity: string; dispatcher: Dispatcher } | undefined;
  /** Observes every answered request (verb, HTTP status; 0 = no response), e.g. for metrics. */
  onResponse: ((verb: string, code: number) => void) | undefined;

  constructor(readonly kubeConfig: KubeConfig) {}

  server(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    return cluster.server.replace(/\/+$/, '');
  }

  /**
   * The client library's authentication (headers: the token, read again on every request, so a rotated token is
   * used at once; TLS), then, for a request (not a watch), one shared connection pool. The library builds a new
   * undici Agent for every request: a new TCP connection and TLS handshake each time, and a pool per request to
   * collect (measured at 5,000 nodes: about 30 MB more peak heap). Its Agent is kept as long as the TLS identity it
   * was built from (the server, the CA, the client certificate and key, as the kubeconfig's files hold them now)
   * does not change; on a change, the new Agent replaces it. A request that gets no answer (a timeout, a reset, a
   * dead connection) drops the pool, so the next request connects afresh rather than trying another connection
   * that may be as dead. Watches keep a connection of their own each: a dead one ends with its watch
   * (test/control-plane/informer.test.ts). An exec plugin may hand out client certificates the kubeconfig does not
   * show: then nothing is shared.
   */
  private async authenticate(ctx: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const fresh = ctx.getDispatcher();
    const identity = fresh ? this.tlsIdentity() : undefined;
    if (!fresh || identity === undefined) return;
    if (this.shared?.identity === identity) {
      ctx.setDispatcher(this.shared.dispatcher);
      return;
    }
    this.dropPool();
    this.shared = { identity, dispatcher: fresh };
  }

  /**
   * Forgets the shared pool (only `used`, when given: a late failure must not drop a newer pool) and closes it:
   * no new request goes to it; the ones in flight end by their answer or their own timeout.
   */
  private dropPool(used?: Dispatcher): void {
    const old = this.shared;
    if (!old || (used !== undefined && old.dispatcher !== used)) return;
    this.shared = undefined;
    old.dispatcher.close().catch(() => undefined);
  }

  /** A digest of what the library builds its TLS connection from; undefined when that cannot be known. */
  private tlsIdentity(): string | undefined {
    const cluster = this.kubeConfig.getCurrentCluster();
    const user = this.kubeConfig.getCurrentUser();
    // Only an exec plugin can hand out client certificates (auth providers, the in-cluster token file among them,
    // set a header).
    if (user?.exec) return undefined;
    const content = (file: string | undefined, data: string | undefined) =>
      file ? readFileSync(file, 'utf8') : (data ?? '');
    try {
      return createHash('sha256')
        .update(
          JSON.stringify([
            cluster?.server,
            cluster?.proxyUrl,
            cluster?.skipTLSVerify,
            cluster?.tlsServerName,
            content(cluster?.caFile, cluster?.caData),
            content(user?.certFile, user?.certData),
            content(user?.keyFile, user?.keyData),
          ]),
        )
        .digest('hex');
    } catch {
      return undefined;
    }
  }

  async requestText(method: HttpMethod, path: string, options: RestOptions = {}): Promise<string> {
    const url = new URL(this.server() + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const ctx = new RequestContext(url.toString(), method);
    ctx.setHeaderParam('Accept', 'application/json, */*');
    if (options.body !== undefined) {
      ctx.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(options.body));
    }
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    ctx.setSignal(options.signal ? AbortSignal.any([timeout, options.signal]) : timeout);
    await this.authenticate(ctx);
    let response;
    try {
      response = await this.http.send(ctx).toPromise();
    } catch (err) {
      // Network failure or timeout: no HTTP status; callers treat it like a 503.
      const used = ctx.getDispatcher();
      if (used) this.dropPool(used);
      this.onResponse?.(method.toLowerCase(), 0);
      throw new KubeApiError(0, 'NetworkError', `${method} ${path}: ${errorMessage(err)}`);
    }
    this.onResponse?.(method.toLowerCase(), response.httpStatusCode);
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw errorFromResponse(response.httpStatusCode, text, method, path, response.headers['retry-after']);
    }
    return text;
  }

  /**
   * Opens a streaming GET (a watch) and returns its body; an HTTP error is thrown as KubeApiError. The
   * stream lives until the server ends it or `signal` aborts it: no client-side timeout.
   */
  async openStream(path: string, query: Query, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const url = new URL(this.server() + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setSignal(signal);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    // The client library's undici dispatcher ends a body silent for 300 s (bodyTimeout); a quiet watch is silent
    // until the server's timeout (a real apiserver sends no bookmark on events). The caller bounds it instead.
    const dispatcher = ctx.getDispatcher();
    if (dispatcher) {
      ctx.setDispatcher(
        dispatcher.compose(
          (dispatch) => (options, handler) => dispatch({ ...options, bodyTimeout: 0 }, handler),
        ),
      );
    }
    let response;
    try {
      response = await this.http.send(ctx).toPromise();
    } catch (err) {
      if (!signal.aborted) this.onResponse?.('watch', 0);
      throw new KubeApiError(0, 'NetworkError', `GET ${path} (watch): ${errorMessage(err)}`);
    }
    this.onResponse?.('watch', response.httpStatusCode);
    if (response.httpStatusCode !== 200) {
      const text = await response.body.text().catch(() => '');
      throw errorFromResponse(response.httpStatusCode, text, 'GET', path, response.headers['retry-after']);
    }
    const stream = response.body.stream();
    if (!stream) throw new KubeApiError(0, 'NetworkError', `GET ${path} (watch): no response body`);
    return stream;
  }

  async request<T = unknown>(method: HttpMethod, path: string, options: RestOptions = {}): Promise<T> {
    const text = await this.requestText(method, path, options);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T = unknown>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>(HttpMethod.GET, path, { query, ...(signal ? { signal } : {}) });
  }

  /** A GET's body as the server sent it (for a caller that parses only part of it). */
  getText(path: string, query?: Query, signal?: AbortSignal): Promise<string> {
    return this.requestText(HttpMethod.GET, path, { query, ...(signal ? { signal } : {}) });
  }

  create<T = unknown>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>(HttpMethod.POST, path, { body, ...(query ? { query } : {}) });
  }

  replace<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>(HttpMethod.PUT, path, { body });
  }

  patch<T = unknown>(path: string, contentType: string, body: unknown): Promise<T> {
    return this.request<T>(HttpMethod.PATCH, path, { body, contentType });
  }

  delete<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>(HttpMethod.DELETE, path, { body });
  }
}
