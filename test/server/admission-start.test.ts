import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeClient, type KubeClient } from '../../src/kube/client.js';
import { startAdmissionWebhook } from '../../src/server/admission/start.js';
import type { ServingCertificate } from '../../src/server/admission/webhook-server.js';
import { secretPath } from '../../src/server/certs/ensure.js';
import { createCa, createServingCertificate } from '../../src/server/certs/generate.js';
import {
  serviceDnsNames,
  WEBHOOK_CONFIGURATION,
  WEBHOOK_SECRET,
  WEBHOOK_SERVICE,
} from '../../src/server/certs/names.js';
import { startEnv, type Env } from '../kit/env.js';
import { send } from './http-client.js';

const NS = 'chainmedic-system';
const [HOST] = serviceDnsNames(WEBHOOK_SERVICE, NS) as [string];
const lookups = { getNode: () => undefined, activeRemediationFor: () => undefined };
const policyReview = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: 'chainmedic.io', version: 'v1alpha1', kind: 'RemediationPolicy' },
    operation: 'CREATE',
    object: { metadata: { name: 'default' }, spec: { cooldown: 'soon' } },
  },
});

async function validate(port: number, ca: string): Promise<string> {
  const res = await send(port, {
    method: 'POST',
    path: '/validate',
    headers: { 'content-type': 'application/json' },
    body: policyReview,
    tls: { ca, servername: HOST },
  });
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { response: { status: { message: string } } }).response.status.message;
}

describe('self-managed certificates', () => {
  let env: Env;
  let client: KubeClient;
  beforeAll(async () => {
    env = await startEnv({ linuxNodes: 1, policy: null });
    client = kubeClient(env.cluster.kubeconfigPath);
    await client.rest.create('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: WEBHOOK_CONFIGURATION },
      webhooks: [{ name: 'remediationpolicies.chainmedic.io', clientConfig: {} }],
    });
  });
  afterAll(() => env?.close());

  const caOf = async () => {
    const secret = await client.rest.get<{ data: Record<string, string> }>(secretPath(NS, WEBHOOK_SECRET));
    return Buffer.from(secret.data['ca.crt'] ?? '', 'base64').toString('utf8');
  };

  test('one call: certificate in the Secret, caBundle set, /validate served, renewed without restart', async () => {
    const changed: ServingCertificate[] = [];
    const handle = await startAdmissionWebhook({
      port: 0,
      host: '127.0.0.1',
      lookups,
      certificates: { mode: 'self-managed', api: client.rest, namespace: NS },
      onCertificateChanged: (c) => changed.push(c),
    });
    try {
      const ca = await caOf();
      expect(await validate(handle.port, ca)).toContain('spec.cooldown: "soon" is not a duration');
      const config = await client.rest.get<{ webhooks: { clientConfig: { caBundle: string } }[] }>(
        `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}`,
      );
      expect(Buffer.from(config.webhooks[0]!.clientConfig.caBundle, 'base64').toString('utf8')).toBe(ca);

      await handle.refresh();
      expect(changed).toEqual([]);

      await client.rest.delete(secretPath(NS, WEBHOOK_SECRET));
      await handle.refresh();
      expect(changed).toHaveLength(1);
      const newCa = await caOf();
      expect(newCa).not.toBe(ca);
      expect(await validate(handle.port, newCa)).toContain('spec.cooldown');
    } finally {
      await handle.close();
    }
  });
});

describe('cert-manager mode', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chainmedic-webhook-tls-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function issue(): Promise<string> {
    const ca = createCa(new Date(), 'cert-manager-like');
    const serving = createServingCertificate(ca, new Date(), serviceDnsNames(WEBHOOK_SERVICE, NS));
    await writeFile(join(dir, 'tls.crt'), serving.certPem);
    await writeFile(join(dir, 'tls.key'), serving.keyPem);
    return ca.certPem;
  }

  test('no certificate mounted yet: a clear error, nothing listening', async () => {
    await expect(
      startAdmissionWebhook({
        port: 0,
        host: '127.0.0.1',
        lookups,
        certificates: { mode: 'cert-manager', dir },
      }),
    ).rejects.toThrow(/ENOENT.*tls\.crt|tls\.key/);
  });

  test('serves the mounted certificate and picks up a re-issued one', async () => {
    const firstCa = await issue();
    const handle = await startAdmissionWebhook({
      port: 0,
      host: '127.0.0.1',
      lookups,
      certificates: { mode: 'cert-manager', dir },
    });
    try {
      expect(await validate(handle.port, firstCa)).toContain('spec.cooldown');
      const secondCa = await issue();
      await handle.refresh();
      expect(await validate(handle.port, secondCa)).toContain('spec.cooldown');
      await expect(validate(handle.port, firstCa)).rejects.toThrow(/certificate|self[- ]signed/i);
    } finally {
      await handle.close();
    }
  });
});
