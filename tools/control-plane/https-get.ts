import { request } from 'node:https';

export interface Reply {
  status: number;
  body: string;
}

/** One GET against the apiserver with its CA and a bearer token (readiness checks; the tests use real clients). */
export function httpsGet(url: string, ca: string | Buffer, token: string, timeoutMs = 5_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}
