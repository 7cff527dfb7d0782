/**
 * A loopback HTTPS reverse proxy of the workshop's own between a client (the operator) and the real
 * kube-apiserver, which answers chosen requests with a fault instead of forwarding them: a v1 Status error (503
 * or 429 with Retry-After, 409, 500, ...), a watch that ends at once with a 410 Expired ERROR event (as the real
 * server ends a watch whose resourceVersion was compacted away), or a dropped connection; and which can end the
 * watches it is streaming, cleanly or abruptly. Everything else is forwarded as it comes and streamed back. Who
 * decides: `decide(request)` (the soak's random faults), then the armed one-shot rules (`inject`, first match).
 * It terminates TLS with a certificate of its own for 127.0.0.1 (`caFile` is what a kubeconfig must trust) and
 * dials the apiserver over TLS with the apiserver's CA. Only 127.0.0.1 (DESIGN.md, traffic safety).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { parse, stringify } from 'yaml';
import { createCa } from '../../src/server/certs/generate.js';

const ADDRESS = '127.0.0.1';

/** One request as the proxy saw it, with the API verb and resource read from its method, path and query. */
export interface ProxiedRequest {
  method: string;
  /** The URL's path, without the query. */
  path: string;
  query: Record<string, string>;
  body: string;
  /** get, list, watch, create, update, patch, delete, deletecollection; undefined: not a resource request. */
  verb?: string;
  /** The resource's plural (`pods`, `noderemediations`), without group or subresource. */
  resource?: string;
  subresource?: string;
  /** The fault it got, or undefined: forwarded. */
  fault?: string;
  /** The HTTP status it was answered with (the apiserver's or the fault's); undefined: no answer (yet). */
  status?: number;
}

export type FaultAnswer =
  /** An HTTP error with a v1 Status body (reason from the code), and Retry-After when given. */
  | { status: number; retryAfterSeconds?: number; message?: string }
  /** The connection is destroyed before the request reaches the apiserver: the client gets no answer. */
  | { drop: 'before-forward' }
  /** A watch answered 200 whose only event is an ERROR with a 410 Expired Status, then the end of the stream. */
  | { watchGone: true };

export interface FaultRule {
  /** A name for reports and assertions. */
  name: string;
  method: string;
  /** Matched against the path without the query. */
  path: RegExp;
  /** Only requests whose query matches (`dryRun: 'All'`; undefined as a value: must be absent). */
  query?: Record<string, string | undefined>;
  /** Only requests whose body contains this text. */
  bodyIncludes?: string;
  /** How many matching requests get the fault (the first ones); the rest are forwarded. */
  times: number;
  answer: FaultAnswer;
}

export interface FaultProxyOptions {
  upstream: string;
  upstreamCaFile: string;
  /** Receives the proxy's CA and the kubeconfigs it writes. */
  dir: string;
  /** Keep every request in `requests` (a test's assertions); default true. A long run keeps only the counts. */
  record?: boolean;
  /** Asked first for every request: a fault (with a name for the counts) or undefined. */
  decide?: (request: ProxiedRequest) => { name: string; answer: FaultAnswer } | undefined;
}

export interface FaultProxy {
  /** https://127.0.0.1:<port> */
  url: string;
  /** PEM of the CA that signed the proxy's serving certificate. */
  caFile: string;
  /** Every request so far, oldest first (empty with `record: false`). */
  readonly requests: readonly ProxiedRequest[];
  /** Requests seen, faults served by name, and answers by HTTP status (the apiserver's and the faults'), so far. */
  counts(): { requests: number; faults: Record<string, number>; statuses: Record<number, number> };
  /** Adds a one-shot fault; returns how many it has served so far (live). */
  inject(rule: FaultRule): { served: () => number };
  /** The faults still armed, by name, with what each has served. */
  faults(): { name: string; served: number; times: number }[];
  /** Removes every armed fault (the ones served stay in `requests`). */
  clear(): void;
  /** Ends every watch being streamed: abruptly (connection reset) or as a clean end of stream. Returns how many. */
  dropActiveWatches(abruptly: boolean): number;
  /** A kubeconfig for `token` whose server is this proxy. */
  kubeconfigFor(name: string, token: string): string;
  /** A copy of `kubeconfigPath` (same user and credentials) whose server is this proxy. */
  kubeconfigVia(kubeconfigPath: string, name: string): string;
  stop(): Promise<void>;
}

/** Headers that describe one hop, never forwarded (RFC 9110, 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [key, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(key)) out[key] = value;
  return out;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function status(code: number, message: string, retryAfterSeconds?: number): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? 'InternalError',
    ...(retryAfterSeconds !== undefined ? { details: { retryAfterSeconds } } : {}),
    code,
  };
}

/** The API verb and resource of a request (as the apiserver's RequestInfo reads them); {} when it is none. */
export function requestInfo(
  method: string,
  path: string,
  query: Record<string, string>,
): { verb?: string; resource?: string; subresource?: string } {
  const seg = path.split('/').filter(Boolean);
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) rest = seg.slice(2);
  else if (seg[0] === 'apis' && seg.length >= 4) rest = seg.slice(3);
  else return {};
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, subresource] = rest;
  const named = name !== undefined;
  const verb =
    method === 'GET'
      ? query.watch === 'true' || query.watch === '1'
        ? 'watch'
        : named
          ? 'get'
          : 'list'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? named
                ? 'delete'
                : 'deletecollection'
              : undefined;
  return { verb, resource, subresource };
}

/**
 * A serving certificate for the IP address 127.0.0.1 (an IP SAN: a client dialling an address checks only
 * those), signed by a new CA. The CA's key pair comes from Node's crypto; the leaf is signed by forge.
 */
function servingCertificate(now: Date): { caPem: string; certPem: string; keyPem: string } {
  const ca = createCa(now, 'chainmedic-fault-proxy-ca', 1);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + 24 * 3_600_000);
  cert.setSubject([{ name: 'commonName', value: 'chainmedic-fault-proxy' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: ADDRESS }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { caPem: ca.certPem, certPem: forge.pki.certificateToPem(cert), keyPem: pair.privateKey };
}

/** Starts the proxy in front of `upstream` (https://127.0.0.1:<port>, whose certificate `upstreamCaFile` verifies). */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.upstream);
  if (target.protocol !== 'https:' || target.hostname !== ADDRESS)
    throw new Error(`the fault proxy forwards only to https://${ADDRESS}, not to ${options.upstream}`);
  const agent = new Agent({ ca: readFileSync(options.upstreamCaFile), keepAlive: true });
  const tls = servingCertificate(new Date());
  const caFile = join(options.dir, 'fault-proxy-ca.crt');
  writeFileSync(caFile, tls.caPem);
  const record = options.record ?? true;

  const requests: ProxiedRequest[] = [];
  let seenCount = 0;
  const served: Record<string, number> = {};
  const statuses: Record<number, number> = {};
  const answered = (seen: ProxiedRequest, code: number) => {
    seen.status = code;
    statuses[code] = (statuses[code] ?? 0) + 1;
  };
  const rules: { rule: FaultRule; served: number }[] = [];
  const sockets = new Set<Socket>();
  /** The watches being streamed, each with the function that ends it. */
  const watches = new Set<(abruptly: boolean) => void>();

  const matches = (rule: FaultRule, seen: ProxiedRequest) =>
    rule.method === seen.method &&
    rule.path.test(seen.path) &&
    Object.entries(rule.query ?? {}).every(([k, v]) => seen.query[k] === v) &&
    (rule.bodyIncludes === undefined || seen.body.includes(rule.bodyIncludes));

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, seen: ProxiedRequest) => {
    const upstream = request(
      {
        host: ADDRESS,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...endToEnd(req.headers), host: target.host },
        agent,
      },
      (answer) => {
        answered(seen, answer.statusCode ?? 502);
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        if (seen.verb !== 'watch') return;
        const drop = (abruptly: boolean) => {
          watches.delete(drop);
          answer.unpipe(res);
          upstream.destroy();
          if (abruptly) res.destroy();
          else res.end();
        };
        watches.add(drop);
        res.on('close', () => watches.delete(drop));
      },
    );
    upstream.on('error', () => {
      // The apiserver went away mid-answer (or before), or the proxy ended the watch: the client's ends too.
      if (!res.writableEnded) res.destroy();
    });
    // The client gave up (a watch it stopped, say): so does the upstream request.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const answerWithFault = (
    req: IncomingMessage,
    res: ServerResponse,
    answer: FaultAnswer,
    seen: ProxiedRequest,
  ) => {
    if ('drop' in answer) {
      req.socket.destroy();
      return;
    }
    if ('watchGone' in answer) {
      answered(seen, 200);
      res.writeHead(200, { 'content-type': 'application/json' });
      const gone = status(410, 'injected by the fault proxy: too old resource version');
      res.end(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
      return;
    }
    answered(seen, answer.status);
    const message =
      answer.message ??
      `injected by the fault proxy: ${answer.status} ${REASONS[answer.status] ?? 'InternalError'}`;
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.retryAfterSeconds !== undefined ? { 'retry-after': String(answer.retryAfterSeconds) } : {}),
    });
    res.end(JSON.stringify(status(answer.status, message, answer.retryAfterSeconds)));
  };

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', options.upstream);
      const method = req.method ?? 'GET';
      const query = Object.fromEntries(url.searchParams);
      const seen: ProxiedRequest = {
        method,
        path: url.pathname,
        query,
        body: record ? body.toString('utf8') : '',
        ...requestInfo(method, url.pathname, query),
      };
      seenCount++;
      if (record) requests.push(seen);
      const decided = options.decide?.(seen);
      const armed = decided ? undefined : rules.find((r) => r.served < r.rule.times && matches(r.rule, seen));
      const fault = decided ?? (armed && { name: armed.rule.name, answer: armed.rule.answer });
      if (!fault) {
        forward(req, res, body, seen);
        return;
      }
      if (armed) armed.served += 1;
      served[fault.name] = (served[fault.name] ?? 0) + 1;
      seen.fault = fault.name;
      answerWithFault(req, res, fault.answer, seen);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that hangs up mid-handshake is not the proxy's failure.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ADDRESS, () => resolve());
  });
  const url = `https://${ADDRESS}:${(server.address() as AddressInfo).port}`;
  const fileFor = (name: string) =>
    join(options.dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.via-proxy.kubeconfig`);

  return {
    url,
    caFile,
    requests,
    counts: () => ({ requests: seenCount, faults: { ...served }, statuses: { ...statuses } }),
    inject(rule) {
      const entry = { rule, served: 0 };
      rules.push(entry);
      return { served: () => entry.served };
    },
    faults: () => rules.map((r) => ({ name: r.rule.name, served: r.served, times: r.rule.times })),
    clear: () => void rules.splice(0),
    dropActiveWatches(abruptly) {
      const all = [...watches];
      for (const drop of all) drop(abruptly);
      return all.length;
    },
    kubeconfigFor: (name, token) => {
      const ca = readFileSync(caFile).toString('base64');
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'control-plane', cluster: { server: url, 'certificate-authority-data': ca } }],
        users: [{ name, user: { token } }],
        contexts: [{ name, context: { cluster: 'control-plane', user: name } }],
        'current-context': name,
      };
      writeFileSync(fileFor(name), stringify(config), { mode: 0o600 });
      return fileFor(name);
    },
    kubeconfigVia(kubeconfigPath, name) {
      const config = parse(readFileSync(kubeconfigPath, 'utf8')) as {
        clusters: Array<{ cluster: Record<string, unknown> }>;
      };
      const ca = readFileSync(caFile).toString('base64');
      for (const c of config.clusters) {
        delete c.cluster['certificate-authority'];
        c.cluster.server = url;
        c.cluster['certificate-authority-data'] = ca;
      }
      writeFileSync(fileFor(name), stringify(config), { mode: 0o600 });
      return fileFor(name);
    },
    async stop() {
      for (const drop of [...watches]) drop(true);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
