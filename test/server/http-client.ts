import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** HTTPS: trust this CA and check the certificate against this name (SNI too). */
  tls?: { ca: string; servername: string };
}

/**
 * A plain request with no client-side help: bodies, content types and lengths are sent exactly as given,
 * so tests can send what a broken or hostile client would.
 */
export function send(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      method: req.method ?? 'GET',
      path: req.path,
      headers: {
        connection: 'close',
        ...(req.body !== undefined ? { 'content-length': Buffer.byteLength(req.body) } : {}),
        ...req.headers,
      },
      agent: false as const,
      ...(req.tls ? { ca: req.tls.ca, servername: req.tls.servername } : {}),
    };
    const r = (req.tls ? httpsRequest : httpRequest)(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    // The server may answer (413) and close before a huge body is fully sent.
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      reject(err);
    });
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}
