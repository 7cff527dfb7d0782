/**
 * The simulator's admin routes (/sim/nodes/:name/break, ready, fail-next-job, ...) on a small HTTP server of
 * their own on 127.0.0.1: with a real API server there is no simulator server to host them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminRoutes } from '../api/admin.js';
import { NODE_ADDRESS } from './node-object.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface AdminServer {
  url: string;
  routes: AdminRoutes;
  close(): Promise<void>;
}

const failure = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason,
  code,
  message,
});

function send(res: ServerResponse, code: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? undefined : JSON.parse(text);
}

export async function startAdminServer(routes = new AdminRoutes()): Promise<AdminServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${NODE_ADDRESS}`);
    const match = routes.match(req.method ?? 'GET', url.pathname);
    if (match === undefined)
      return send(res, 404, failure(404, 'NotFound', `no admin route ${url.pathname}`));
    if (match === 'method-not-allowed') {
      return send(res, 405, failure(405, 'MethodNotAllowed', `method not allowed on ${url.pathname}`));
    }
    readJson(req)
      .then((body) =>
        match.handler({
          method: req.method ?? 'GET',
          path: url.pathname,
          params: match.params,
          query: url.searchParams,
          body,
        }),
      )
      .then(
        (result) => send(res, result.status ?? 200, result.body ?? {}),
        (err: unknown) => send(res, 400, failure(400, 'BadRequest', (err as Error).message)),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, NODE_ADDRESS, () => resolve());
  });
  return {
    url: `http://${NODE_ADDRESS}:${(server.address() as AddressInfo).port}`,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
