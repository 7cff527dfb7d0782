import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HttpMethod, KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../../src/kube/rest.js';
import { createCa, createServingCertificate } from '../../src/server/certs/generate.js';
import { TcpProxy } from './tcp-proxy.js';

// The client library builds a new undici Agent for every request (a TCP connection and a TLS handshake each);
// KubeRest shares one while the TLS identity stays the same, and takes the new one when it changes.

interface Tls {
  server: Server;
  port: number;
  caPem: string;
  connections: number;
  tokens: string[];
}

async function startTls(): Promise<Tls> {
  const now = new Date();
  const ca = createCa(now, 'test-ca');
  const serving = createServingCertificate(ca, now, ['localhost']);
  const state = { connections: 0, tokens: [] as string[] };
  const server = createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
    state.tokens.push(req.headers.authorization ?? '');
    res.setHeader('content-type', 'application/json');
    res.end('{"kind":"Status","items":[]}');
  });
  server.on('secureConnection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    caPem: ca.certPem,
    get connections() {
      return state.connections;
    },
    get tokens() {
      return state.tokens;
    },
  };
}

function kubeConfigFor(tls: Tls, token: string, port = tls.port): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `https://localhost:${port}`,
        caData: Buffer.from(tls.caPem).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('KubeRest connections', () => {
  const servers: Server[] = [];
  const proxies: TcpProxy[] = [];
  afterAll(async () => {
    for (const p of proxies) await p.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('sends every request over one connection while the TLS identity holds; the token is read each time', async () => {
    const tls = await startTls();
    servers.push(tls.server);
    const kc = kubeConfigFor(tls, 'first');
    const rest = new KubeRest(kc);
    // One pool: undici may open a second connection while the first is being released, never one per request.
    for (let i = 0; i < 10; i++) await rest.get('/api/v1/nodes');
    expect(tls.connections).toBeLessThanOrEqual(2);
    const pooled = tls.connections;
    kc.users[0] = { name: 'u', token: 'rotated' };
    for (let i = 0; i < 10; i++) await rest.get('/api/v1/nodes');
    expect(tls.tokens).toEqual([...Array(10).fill('Bearer first'), ...Array(10).fill('Bearer rotated')]);
    expect(tls.connections).toBe(pooled);
  });

  it('takes a new connection pool when the CA changes (another server, another CA)', async () => {
    const first = await startTls();
    const second = await startTls();
    servers.push(first.server, second.server);
    const kc = kubeConfigFor(first, 't');
    const rest = new KubeRest(kc);
    for (let i = 0; i < 5; i++) await rest.get('/api/v1/nodes');
    const before = first.connections;
    const next = kubeConfigFor(second, 't');
    kc.clusters[0] = next.clusters[0]!;
    for (let i = 0; i < 10; i++) await rest.get('/api/v1/nodes');
    expect(first.connections).toBe(before);
    expect(second.connections).toBeGreaterThanOrEqual(1);
    expect(second.connections).toBeLessThanOrEqual(2);
  });

  it('a request that gets no answer drops the pool: the next one connects afresh, not to another dead connection', async () => {
    const tls = await startTls();
    servers.push(tls.server);
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: tls.port });
    proxies.push(proxy);
    const rest = new KubeRest(kubeConfigFor(tls, 't', proxy.port));
    // Two requests at once: two connections, both idle in the pool afterwards.
    await Promise.all([rest.get('/api/v1/nodes'), rest.get('/api/v1/nodes')]);
    expect(tls.connections).toBe(2);
    // Both go half-open (no FIN, no reset): the pool cannot tell.
    proxy.stall();
    await expect(rest.requestText(HttpMethod.GET, '/api/v1/nodes', { timeoutMs: 300 })).rejects.toThrow(
      /NetworkError|aborted|timeout/i,
    );
    await expect(rest.requestText(HttpMethod.GET, '/api/v1/nodes', { timeoutMs: 3000 })).resolves.toContain(
      'Status',
    );
    expect(tls.connections).toBe(3);
  });
});
