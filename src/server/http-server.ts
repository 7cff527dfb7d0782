import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { errorHandler, methodNotAllowed, notFound, sendError } from './http-errors.js';
import { close, listen } from './listen.js';
import { LoopLagMonitor, type LoopLagOptions } from './loop-lag.js';
import type { OperatorMetrics } from './metrics.js';

export type Readiness = boolean | { ready: boolean; reason?: string };

export interface HttpServerOptions {
  port: number;
  /** Default: all interfaces (the kubelet probes the pod IP). */
  host?: string;
  metrics: OperatorMetrics;
  /** Informers synced (leader or standby): the operator decides. A throw counts as not ready. */
  isReady: () => Readiness | Promise<Readiness>;
  /** A running monitor to use, or options for one this server starts and stops. */
  loopLag?: LoopLagMonitor | LoopLagOptions;
  onError?: (err: unknown) => void;
}

export interface HttpServerHandle {
  port: number;
  url: string;
  server: Server;
  loopLag: LoopLagMonitor;
  close(): Promise<void>;
}

const MAX_IGNORED_BODY = 1024 * 1024;

/** These endpoints take no request body: a GET that sends one is a client bug worth a clear answer. */
function rejectBodies(req: Request, res: Response, next: NextFunction): void {
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > MAX_IGNORED_BODY) return sendError(res, 413, 'request body too large');
  if (length > 0 || req.headers['transfer-encoding'] !== undefined) {
    return sendError(res, 400, `${req.path} takes no request body`);
  }
  next();
}

function normalize(readiness: Readiness): { ready: boolean; reason?: string } {
  return typeof readiness === 'boolean' ? { ready: readiness } : readiness;
}

/** /healthz, /readyz and /metrics, served by every replica whether it leads or not. */
export function createHttpApp(
  options: Pick<HttpServerOptions, 'metrics' | 'isReady' | 'onError'>,
  loopLag: LoopLagMonitor,
) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const readOnly = ['GET', 'HEAD'];
  const guard = (path: string, handler: (req: Request, res: Response) => Promise<void> | void) => {
    app.get(path, rejectBodies, async (req, res, next) => {
      try {
        await handler(req, res);
      } catch (err) {
        next(err);
      }
    });
    app.all(path, methodNotAllowed(readOnly));
  };

  guard('/healthz', (_req, res) => {
    const status = loopLag.status();
    res
      .status(status.healthy ? 200 : 503)
      .json(
        status.healthy
          ? { status: 'ok', eventLoopLagMs: Math.round(status.lagMs) }
          : { status: 'unhealthy', reason: status.reason, eventLoopLagMs: Math.round(status.lagMs) },
      );
  });

  guard('/readyz', async (_req, res) => {
    let readiness: { ready: boolean; reason?: string };
    try {
      readiness = normalize(await options.isReady());
    } catch (err) {
      options.onError?.(err);
      readiness = { ready: false, reason: 'the readiness check failed' };
    }
    res
      .status(readiness.ready ? 200 : 503)
      .json(
        readiness.ready
          ? { status: 'ready' }
          : { status: 'not ready', ...(readiness.reason ? { reason: readiness.reason } : {}) },
      );
  });

  guard('/metrics', async (_req, res) => {
    const registry = options.metrics.registry;
    const body = await registry.metrics();
    res.status(200).setHeader('Content-Type', registry.contentType).send(body);
  });

  app.use(notFound);
  app.use(errorHandler(options.onError));
  return app;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const ownMonitor = !(options.loopLag instanceof LoopLagMonitor);
  const loopLag =
    options.loopLag instanceof LoopLagMonitor ? options.loopLag : new LoopLagMonitor(options.loopLag).start();
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000 },
    createHttpApp(options, loopLag),
  );
  const host = options.host ?? '0.0.0.0';
  let port: number;
  try {
    port = await listen(server, options.port, host);
  } catch (err) {
    if (ownMonitor) loopLag.stop();
    throw err;
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    port,
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    server,
    loopLag,
    close: async () => {
      if (ownMonitor) loopLag.stop();
      await close(server);
    },
  };
}
