import { serviceDnsNames, WEBHOOK_SECRET } from '../../src/server/certs/names.js';
import { parseOperatorOptions } from '../../src/config.js';
import { send } from '../server/http-client.js';
import { NAMESPACE, startEnv, type Env } from '../kit/env.js';

const [SERVICE_NAME] = serviceDnsNames('chainmedic-operator', NAMESPACE) as [string];
const SECRETS = { group: '', resource: 'secrets' };

let env: Env;
let port: number;
let ca: string;

beforeAll(async () => {
  env = await startEnv({ linuxNodes: 2, windowsNodes: 1 });
  const operator = await env.start({ webhook: { port: 0, host: '127.0.0.1' } });
  await operator.ready();
  port = operator.webhookPort()!;
  const secret = env.cluster.store.get(SECRETS, NAMESPACE, WEBHOOK_SECRET);
  const data = (secret?.data ?? {}) as Record<string, string>;
  ca = Buffer.from(data['ca.crt'] ?? '', 'base64').toString('utf8');
});

afterAll(async () => {
  await env?.close();
});

function review(nodeName: string) {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${nodeName}`,
      kind: { group: 'chainmedic.io', version: 'v1alpha1', kind: 'NodeRemediation' },
      resource: { group: 'chainmedic.io', version: 'v1alpha1', resource: 'noderemediations' },
      operation: 'CREATE',
      name: `manual-${nodeName}`,
      object: {
        apiVersion: 'chainmedic.io/v1alpha1',
        kind: 'NodeRemediation',
        metadata: { name: `manual-${nodeName}` },
        spec: { nodeName, trigger: { source: 'Manual' } },
      },
    },
  });
}

async function admit(nodeName: string): Promise<{ allowed: boolean; message?: string }> {
  const res = await send(port, {
    method: 'POST',
    path: '/validate',
    headers: { 'content-type': 'application/json' },
    body: review(nodeName),
    tls: { ca, servername: SERVICE_NAME },
  });
  expect(res.status).toBe(200);
  const body = JSON.parse(res.body) as { response: { allowed: boolean; status?: { message?: string } } };
  return { allowed: body.response.allowed, message: body.response.status?.message };
}

describe('the operator serves the admission webhook from its caches', () => {
  it('keeps its own CA in the Secret and serves a certificate it signed', () => {
    expect(ca).toContain('BEGIN CERTIFICATE');
  });

  it('admits a manual remediation of a linux node', async () => {
    const linux = env.cluster.linuxNodeNames()[0]!;
    await expect(admit(linux)).resolves.toMatchObject({ allowed: true });
  });

  it('rejects a manual remediation of a windows node or of a node that does not exist', async () => {
    const windows = await admit(env.cluster.windowsNodeNames()[0]!);
    expect(windows.allowed).toBe(false);
    expect(windows.message).toMatch(/windows|linux/i);
    const missing = await admit('no-such-node');
    expect(missing.allowed).toBe(false);
    expect(missing.message).toMatch(/no-such-node/);
  });
});

describe('webhook options', () => {
  it('needs a certificate directory with cert-manager', () => {
    const parsed = parseOperatorOptions({ webhookCerts: 'cert-manager' });
    expect(parsed).toEqual({ ok: false, error: expect.stringMatching(/--webhook-cert-dir/) });
  });

  it('rejects an unknown certificate mode and accepts cert-manager with a directory', () => {
    expect(parseOperatorOptions({ webhookCerts: 'vault' }).ok).toBe(false);
    const ok = parseOperatorOptions({
      webhookCerts: 'cert-manager',
      webhookCertDir: '/tls',
      webhookPort: '0',
    });
    expect(ok).toMatchObject({ ok: true, options: { webhookPort: 0, webhookCertDir: '/tls' } });
  });
});
