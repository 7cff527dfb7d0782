/**
 * The pods/log subresource as kube-apiserver serves it: it picks the container, finds the pod's node, and reads
 * the log from that node's kubelet API (`GET /containerLogs/{namespace}/{pod}/{container}` over HTTPS on the
 * Node's InternalIP and status.daemonEndpoints port), passing previous, tailLines and limitBytes through. The
 * simulated nodes serve it (tools/sim/nodes/kubelet-server.ts). Only loopback addresses are ever dialled.
 */
import { request } from 'node:https';
import { NODES, PODS, ApiError } from '../types.js';
import type { SimStoreImpl } from '../store.js';

const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
const KUBELET_TIMEOUT_MS = 30_000;

interface PodSpecView {
  nodeName?: string;
  containers?: Array<{ name: string }>;
  initContainers?: Array<{ name: string }>;
}

interface NodeStatusView {
  addresses?: Array<{ type: string; address: string }>;
  daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
}

/** The container a log request names, or the pod's only one (the API server's own checks and messages). */
function containerFor(name: string, spec: PodSpecView, requested: string | undefined): string {
  const names = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name);
  let chosen = requested;
  if (!chosen) {
    if ((spec.containers ?? []).length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    }
    chosen = spec.containers![0]!.name;
  }
  if (!names.includes(chosen)) throw badRequest(`container ${chosen} is not valid for pod ${name}`);
  return chosen;
}

/** Where the node's kubelet API listens; a node outside 127.0.0.0/8 is never dialled. */
function kubeletAddress(store: SimStoreImpl, nodeName: string): { host: string; port: number } {
  const node = store.getEntry(NODES, undefined, nodeName)?.object;
  if (!node) throw new ApiError(404, 'NotFound', `nodes "${nodeName}" not found`);
  const status = (node.status ?? {}) as NodeStatusView;
  const host = status.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!host || !port) throw badRequest(`node "${nodeName}" has no kubelet address`);
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    throw new ApiError(
      500,
      'InternalError',
      `sim: refusing to dial kubelet at ${host}: not a loopback address`,
    );
  }
  return { host, port };
}

function get(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // The simulated kubelets serve a self-signed certificate (kube-apiserver verifies kubelets only when told to).
    const req = request(
      {
        host,
        port,
        path,
        method: 'GET',
        rejectUnauthorized: false,
        timeout: KUBELET_TIMEOUT_MS,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function readPodLog(
  store: SimStoreImpl,
  namespace: string,
  name: string,
  params: URLSearchParams,
): Promise<string> {
  const pod = store.getEntry(PODS, namespace, name)?.object;
  if (!pod) throw new ApiError(404, 'NotFound', `pods "${name}" not found`);
  const spec = (pod.spec ?? {}) as PodSpecView;
  const container = containerFor(name, spec, params.get('container') ?? undefined);
  if (!spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const { host, port } = kubeletAddress(store, spec.nodeName);
  const query = new URLSearchParams();
  if (['true', '1'].includes(params.get('previous') ?? '')) query.set('previous', 'true');
  for (const key of ['tailLines', 'limitBytes']) {
    const value = params.get(key);
    if (value === null || value === '') continue;
    if (!/^-?\d+$/.test(value)) throw badRequest(`invalid ${key}: ${value}`);
    query.set(key, value);
  }
  const path = `/containerLogs/${[namespace, name, container].map(encodeURIComponent).join('/')}${
    query.size > 0 ? `?${query}` : ''
  }`;
  let answer: { status: number; body: string };
  try {
    answer = await get(host, port, path);
  } catch (err) {
    throw new ApiError(
      500,
      'InternalError',
      `Get "https://${host}:${port}${path}": ${(err as Error).message}`,
    );
  }
  if (answer.status === 200) return answer.body;
  throw new ApiError(
    answer.status === 404 ? 404 : 400,
    answer.status === 404 ? 'NotFound' : 'BadRequest',
    answer.body.trim(),
  );
}
