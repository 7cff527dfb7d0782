import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiError } from './types.js';
import type { SimStoreImpl } from './store.js';
import { FaultInjector, InjectedFault, type RequestFacts } from './faults.js';
import { RequestLog, isSimKubelet } from './request-log.js';
import { AdminRoutes } from './admin.js';
import { registerBuiltinAdminRoutes } from './admin-routes.js';
import { parseRequestTarget, verbOf, type RequestTarget } from './http/request-target.js';
import {
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  SERVER_VERSION,
} from './http/discovery.js';
import { failureStatus, reasonForCode, statusFromError } from './http/status.js';
import { openapiV3GroupVersion, openapiV3Index } from './http/openapi.js';
import { serveResource } from './http/resource-handler.js';
import { dryRunOf } from './http/dry-run.js';
import { DEFAULT_MAX_BODY_BYTES, parseJsonBody, readBody } from './http/body.js';

export interface ApiServerOptions {
  store: SimStoreImpl;
  host?: string;
  port?: number;
  /** Seed of the fault injector's random sequence. */
  seed?: number;
  /** How often watches that asked for bookmarks get one. */
  bookmarkIntervalMs?: number;
  /** Server-side watch timeout when the client gives none. */
  watchTimeoutSeconds?: number;
  maxBodyBytes?: number;
}

export interface ApiServerHandle {
  url: string;
  port: number;
  store: SimStoreImpl;
  faults: FaultInjector;
  requests: RequestLog;
  /** Mount extra JSON routes under /sim/. */
  admin: AdminRoutes;
  close(): Promise<void>;
}

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

/** What the real API server answers for a path it does not serve. */
function notFound(res: ServerResponse): void {
  sendJson(res, 404, failureStatus(404, 'NotFound', 'the server could not find the requested resource'));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Answers with an injected fault: a v1 Status with the rule's reason and message (else the defaults for its code),
 * and Retry-After on 429 and 503 (or when the rule sets one).
 */
function sendFault(res: ServerResponse, fault: InjectedFault): void {
  const { code, retryAfterSeconds } = fault;
  const retry = retryAfterSeconds ?? (code === 429 || code === 503 ? 1 : undefined);
  const headers: Record<string, string> = retry !== undefined ? { 'Retry-After': String(retry) } : {};
  const reason = fault.reason ?? reasonForCode(code);
  const message =
    fault.statusMessage ??
    (code === 429 ? 'Too many requests, please try again later.' : `injected fault: ${reason}`);
  sendJson(
    res,
    code,
    failureStatus(code, reason, message, retry !== undefined ? { retryAfterSeconds: retry } : undefined),
    headers,
  );
}

function resourceLabel(target: RequestTarget): { verb: string; resource: string; facts?: RequestFacts } {
  if (target.kind !== 'resource') return { verb: 'discovery', resource: target.kind };
  return {
    verb: '',
    resource: target.subresource ? `${target.resource}/${target.subresource}` : target.resource,
  };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServerHandle> {
  const { store } = options;
  const faults = new FaultInjector(options.seed ?? 1);
  const requests = new RequestLog();
  const admin = new AdminRoutes();
  const sockets = new Set<Socket>();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let serverAddress = '';

  registerBuiltinAdminRoutes(admin, { faults, requests, store });

  async function serveAdmin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = admin.match(req.method ?? 'GET', url.pathname);
    if (match === undefined)
      return sendJson(res, 404, failureStatus(404, 'NotFound', `no admin route ${url.pathname}`));
    if (match === 'method-not-allowed')
      return sendJson(
        res,
        405,
        failureStatus(405, 'MethodNotAllowed', `method not allowed on ${url.pathname}`),
      );
    const raw = await readBody(req, maxBodyBytes);
    const body = raw.length > 0 && raw.toString('utf8').trim() !== '' ? parseJsonBody(raw) : undefined;
    const result = await match.handler({
      method: req.method ?? 'GET',
      path: url.pathname,
      params: match.params,
      query: url.searchParams,
      body,
    });
    sendJson(res, result.status ?? 200, result.body ?? {});
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    if (url.pathname === '/sim' || url.pathname.startsWith('/sim/')) return serveAdmin(req, res, url);
    const target = parseRequestTarget(url.pathname);
    const defs = store.registry.all();
    switch (target.kind) {
      case 'version':
        return sendJson(res, 200, SERVER_VERSION);
      case 'api-versions':
        return sendJson(res, 200, apiVersions(serverAddress));
      case 'api-groups':
        return sendJson(res, 200, apiGroupList(defs));
      case 'group': {
        const doc = apiGroupDocument(defs, target.group);
        return doc ? sendJson(res, 200, doc) : notFound(res);
      }
      case 'resource-list': {
        const doc = apiResourceList(defs, target.group, target.version);
        return doc ? sendJson(res, 200, doc) : notFound(res);
      }
      case 'openapi-v3-index':
        return sendJson(res, 200, openapiV3Index(defs));
      case 'openapi-v3-gv': {
        const doc = openapiV3GroupVersion(defs, target.group, target.version);
        return doc ? sendJson(res, 200, doc) : notFound(res);
      }
      case 'openapi':
      case 'unknown':
        return notFound(res);
      case 'resource':
        break;
    }
    const def = store.registry.resolve(target.group, target.version, target.resource);
    if (!def) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const watch =
      target.watchPath || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb = verbOf(req.method ?? 'GET', target.name !== undefined, watch);
    (req as TaggedRequest).simVerb = verb;
    // A delete's options come from its body when it has one: read it first, as the real server does, so that an
    // unsupported dryRun is refused before any fault rule (which plays admission) sees the request.
    const deleteBody =
      verb === 'delete' || verb === 'deletecollection' ? await readBody(req, maxBodyBytes) : undefined;
    const dryRun = dryRunOf(verb, url.searchParams, parsedDeleteOptions(deleteBody));
    if (dryRun) (req as TaggedRequest).simDryRun = true;
    const facts = {
      verb,
      group: target.group,
      resource: target.resource,
      subresource: target.subresource,
      namespace: target.namespace,
      name: target.name,
      ...(dryRun ? { dryRun: true } : {}),
      ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    };
    const decision = faults.decide(facts);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.error && !decision.error.afterCommit)
      return sendFault(res, new InjectedFault(decision.error));
    await serveResource({
      req,
      res,
      url,
      store,
      def,
      version: target.version,
      verb,
      namespace: target.namespace,
      name: target.name,
      subresource: target.subresource,
      dryRun,
      deleteBody,
      decision,
      roll: () => faults.roll(),
      trackWatch: (close) => faults.trackWatch(facts, close),
      maxBodyBytes,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5_000,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 1800,
    });
  }

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    res.on('close', () => {
      const target = parseRequestTarget(url.split('?')[0]!);
      const label = resourceLabel(target);
      if (url.startsWith('/sim/') || url === '/sim') return;
      if (isSimKubelet(req.headers['user-agent'])) return;
      requests.record({
        method: req.method ?? 'GET',
        path: url,
        verb: (req as TaggedRequest).simVerb ?? label.verb,
        resource: label.resource,
        code: res.statusCode,
        ...((req as TaggedRequest).simDryRun ? { dryRun: true } : {}),
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
      });
    });
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A write served before its injected fault: the commit stands, the answer is the fault.
      if (err instanceof InjectedFault) return sendFault(res, err);
      const status = statusFromError(err);
      const code = err instanceof ApiError ? err.code : 500;
      sendJson(res, code, status);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  serverAddress = `${host}:${address.port}`;
  return {
    url: `http://${serverAddress}`,
    port: address.port,
    store,
    faults,
    requests,
    admin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

interface TaggedRequest extends IncomingMessage {
  simVerb?: string;
  simDryRun?: boolean;
}

/** A delete's DeleteOptions body, parsed, or undefined when it sent none (then its query holds the options). */
function parsedDeleteOptions(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0 || body.toString('utf8').trim() === '') return undefined;
  return parseJsonBody(body);
}
