/**
 * A loopback HTTPS reverse proxy of the tests' own between a client (the operator) and the real kube-apiserver,
 * which answers chosen requests with a fault instead of forwarding them: a v1 Status error (503 or 429 with
 * Retry-After, 409, ...) or a dropped connection. Everything else, watches included, is forwarded as it comes
 * and streamed back. It terminates TLS with a certificate of its own for 127.0.0.1 (`caFile` is what a
 * kubeconfig must trust) and dials the apiserver over TLS with the apiserver's CA. Only 127.0.0.1 (DESIGN.md,
 * traffic safety). Every request it saw is recorded, and each fault counts what it served: a test can tell that
 * its faults were really met.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { createCa } from '../../src/server/certs/generate.js';
import { writeKubeconfig } from '../../tools/control-plane/kubeconfig.js';

const ADDRESS = '127.0.0.1';

/** One request as the proxy saw it. */
export interface SeenRequest {
  method: string;
  /** The URL's path, without the query. */
  path: string;
  query: Record<string, string>;
  body: string;
  /** The fault it got, or undefined: forwarded. */
  fault?: string;
  /** The HTTP status it was answered with (the apiserver's or the fault's); undefined: no answer (yet). */
  status?: number;
}

export type FaultAnswer =
  /** An HTTP error with a v1 Status body (reason from the code), and Retry-After when given. */
  | { status: number; retryAfterSeconds?: number; message?: string }
  /** The connection is destroyed before the request reaches the apiserver: the client gets no answer. */
  | { drop: 'before-forward' };

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

export interface FaultProxy {
  /** https://127.0.0.1:<port> */
  url: string;
  /** PEM of the CA that signed the proxy's serving certificate. */
  caFile: string;
  /** Every request so far, oldest first. */
  readonly requests: readonly SeenRequest[];
  /** Adds a fault; returns how many it has served so far (live). */
  inject(rule: FaultRule): { served: () => number };
  /** The faults still armed, by name, with what each has served. */
  faults(): { name: string; served: number; times: number }[];
  /** Removes every fault (the ones served stay in `requests`). */
  clear(): void;
  /** A kubeconfig for `token` whose server is this proxy. */
  kubeconfigFor(name: string, token: string): string;
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
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

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

/**
 * Starts the proxy in front of `upstream` (https://127.0.0.1:<port>, whose serving certificate `upstreamCaFile`
 * verifies). `dir` receives the proxy's CA and the kubeconfigs it writes.
 */
export async function startFaultProxy(options: {
  upstream: string;
  upstreamCaFile: string;
  dir: string;
}): Promise<FaultProxy> {
  const target = new URL(options.upstream);
  if (target.protocol !== 'https:' || target.hostname !== ADDRESS)
    throw new Error(`the fault proxy forwards only to https://${ADDRESS}, not to ${options.upstream}`);
  const agent = new Agent({ ca: readFileSync(options.upstreamCaFile), keepAlive: true });
  const tls = servingCertificate(new Date());
  const caFile = join(options.dir, 'fault-proxy-ca.crt');
  writeFileSync(caFile, tls.caPem);

  const requests: SeenRequest[] = [];
  const rules: { rule: FaultRule; served: number }[] = [];
  const sockets = new Set<Socket>();

  const matches = (rule: FaultRule, seen: SeenRequest) =>
    rule.method === seen.method &&
    rule.path.test(seen.path) &&
    Object.entries(rule.query ?? {}).every(([k, v]) => seen.query[k] === v) &&
    (rule.bodyIncludes === undefined || seen.body.includes(rule.bodyIncludes));

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, seen: SeenRequest) => {
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
        seen.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      // The apiserver went away mid-answer (or before): the client sees its connection end.
      res.destroy();
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
    seen: SeenRequest,
  ) => {
    if ('drop' in answer) {
      req.socket.destroy();
      return;
    }
    seen.status = answer.status;
    const reason = REASONS[answer.status] ?? 'InternalError';
    const message = answer.message ?? `injected by the test's fault proxy: ${answer.status} ${reason}`;
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.retryAfterSeconds !== undefined ? { 'retry-after': String(answer.retryAfterSeconds) } : {}),
    });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        ...(answer.retryAfterSeconds !== undefined
          ? { details: { retryAfterSeconds: answer.retryAfterSeconds } }
          : {}),
        code: answer.status,
      }),
    );
  };

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', options.upstream);
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: body.toString('utf8'),
      };
      requests.push(seen);
      const armed = rules.find((r) => r.served < r.rule.times && matches(r.rule, seen));
      if (!armed) {
        forward(req, res, body, seen);
        return;
      }
      armed.served += 1;
      seen.fault = armed.rule.name;
      answerWithFault(req, res, armed.rule.answer, seen);
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

  return {
    url,
    caFile,
    requests,
    inject(rule) {
      const entry = { rule, served: 0 };
      rules.push(entry);
      return { served: () => entry.served };
    },
    faults: () => rules.map((r) => ({ name: r.rule.name, served: r.served, times: r.rule.times })),
    clear: () => void rules.splice(0),
    kubeconfigFor: (name, token) =>
      writeKubeconfig(join(options.dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.via-proxy.kubeconfig`), {
        server: url,
        caFile,
        token,
        user: name,
      }),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
