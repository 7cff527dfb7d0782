/**
 * The kubelet API of every simulated node: one HTTPS server on 127.0.0.1, the port every Node names in
 * status.daemonEndpoints. The API server reaches it for `pods/log` (kubectl logs [--previous], the operator's
 * previous-log read): GET /containerLogs/{namespace}/{pod}/{container}?previous=&tailLines=&limitBytes=.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCa, createServingCertificate } from '../../../src/server/certs/generate.js';
import type { ContainerLogs } from './container-logs.js';
import { NODE_ADDRESS } from './node-object.js';

export interface KubeletServer {
  port: number;
  /** Requests served, for tests: `${method} ${path}?${query}`. */
  requests: string[];
  close(): Promise<void>;
}

const number = (value: string | null): number | undefined =>
  value === null || !/^-?\d+$/.test(value) ? undefined : Number(value);

export async function startKubeletServer(logs: ContainerLogs): Promise<KubeletServer> {
  // Self-signed is enough: the API server verifies kubelets only with --kubelet-certificate-authority.
  const now = new Date();
  const serving = createServingCertificate(createCa(now, 'sim-kubelet-ca'), now, ['sim-kubelet']);
  const requests: string[] = [];
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${NODE_ADDRESS}`);
    requests.push(`${req.method ?? 'GET'} ${url.pathname}${url.search}`);
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    if (req.method !== 'GET' || !match) return send(404, '404 page not found\n');
    const [, namespace, pod, container] = match.map((s) => decodeURIComponent(s)) as [
      string,
      string,
      string,
      string,
    ];
    const answer = logs.read(namespace, pod, container, {
      previous: url.searchParams.get('previous') === 'true',
      tailLines: number(url.searchParams.get('tailLines')),
      limitBytes: number(url.searchParams.get('limitBytes')),
    });
    if ('error' in answer) return send(400, answer.error);
    send(200, answer.log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, NODE_ADDRESS, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
