import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeClient, type KubeClient } from '../../src/kube/client.js';
import { startWebhookServer } from '../../src/server/admission/webhook-server.js';
import { DAY_MS } from '../../src/server/certs/generate.js';
import {
  ensureWebhookCertificates,
  secretPath,
  secretsPath,
  webhookConfigPath,
  type WebhookCertOptions,
} from '../../src/server/certs/ensure.js';
import { certificateFromDir, refreshCertificates } from '../../src/server/certs/refresh.js';
import { startEnv, type Env } from '../kit/env.js';
import { send } from './http-client.js';

const NS = 'chainmedic-system';
const T0 = new Date('2026-11-24T12:00:00Z');
const at = (days: number) => () => new Date(T0.getTime() + days * DAY_MS);
const HOST = 'chainmedic-operator.chainmedic-system.svc';

let env: Env;
let client: KubeClient;
let n = 0;

beforeAll(async () => {
  env = await startEnv({ linuxNodes: 1, policy: null });
  client = kubeClient(env.cluster.kubeconfigPath);
});
afterAll(() => env?.close());

/** A fresh Secret name and webhook configuration per test (two webhooks, as in the manifests). */
async function fixture(withWebhook = true): Promise<WebhookCertOptions> {
  n += 1;
  const options = {
    namespace: NS,
    secretName: `webhook-tls-${n}`,
    service: 'chainmedic-operator',
    webhookName: `chainmedic-webhook-${n}`,
  };
  if (withWebhook) {
    const hook = (name: string) => ({
      name,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Ignore',
      clientConfig: { service: { name: 'chainmedic-operator', namespace: NS, path: '/validate', port: 443 } },
    });
    await client.rest.create('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: options.webhookName },
      webhooks: [hook('noderemediations.chainmedic.io'), hook('remediationpolicies.chainmedic.io')],
    });
  }
  return options;
}

interface Secret {
  type: string;
  data: Record<string, string>;
}
const readSecret = (o: WebhookCertOptions) => client.rest.get<Secret>(secretPath(o.namespace, o.secretName));
const pem = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
async function bundles(o: WebhookCertOptions): Promise<string[]> {
  const config = await client.rest.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(
    webhookConfigPath(o.webhookName),
  );
  return config.webhooks.map((w) => pem(w.clientConfig.caBundle));
}

test('first run: a new CA and serving certificate in the Secret, and both caBundles set', async () => {
  const o = await fixture();
  const result = await ensureWebhookCertificates(client.rest, { ...o, now: at(0) });
  expect(result.plan).toEqual({ action: 'new-ca', reason: 'no CA yet' });
  expect(result.caBundle).toBe('patched');
  const secret = await readSecret(o);
  expect(secret.type).toBe('Opaque');
  expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  expect(pem(secret.data['tls.crt'])).toBe(result.certificate.certPem);
  expect(pem(secret.data['tls.key'])).toBe(result.certificate.keyPem);
  const ca = new X509Certificate(pem(secret.data['ca.crt']));
  expect(new X509Certificate(result.certificate.certPem).checkIssued(ca)).toBe(true);
  expect(await bundles(o)).toEqual([pem(secret.data['ca.crt']), pem(secret.data['ca.crt'])]);

  const again = await ensureWebhookCertificates(client.rest, { ...o, now: at(1) });
  expect(again.plan).toEqual({ action: 'keep' });
  expect(again.caBundle).toBe('unchanged');
  expect(again.certificate).toEqual(result.certificate);
});

test('the empty Secret the manifests ship is filled in place', async () => {
  const o = await fixture();
  await client.rest.create(secretsPath(NS), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: o.secretName, namespace: NS, labels: { keep: 'me' } },
    type: 'Opaque',
  });
  const result = await ensureWebhookCertificates(client.rest, { ...o, now: at(0) });
  expect(result.plan.action).toBe('new-ca');
  const secret = await client.rest.get<Secret & { metadata: { labels: Record<string, string> } }>(
    secretPath(NS, o.secretName),
  );
  expect(secret.metadata.labels).toEqual({ keep: 'me' });
  expect(pem(secret.data['tls.crt'])).toBe(result.certificate.certPem);
});

test('renewal at two thirds of the serving life keeps the CA and the caBundle', async () => {
  const o = await fixture();
  const first = await ensureWebhookCertificates(client.rest, { ...o, now: at(0) });
  const caBefore = (await readSecret(o)).data['ca.crt'];
  const renewed = await ensureWebhookCertificates(client.rest, { ...o, now: at(250) });
  expect(renewed.plan.action).toBe('renew-serving');
  expect(renewed.caBundle).toBe('unchanged');
  expect(renewed.certificate.certPem).not.toBe(first.certificate.certPem);
  expect((await readSecret(o)).data['ca.crt']).toBe(caBefore);
  const cert = new X509Certificate(renewed.certificate.certPem);
  expect(Date.parse(cert.validTo)).toBeGreaterThan(T0.getTime() + 600 * DAY_MS);
});

test('a new CA keeps the previous one in the caBundle while it is valid', async () => {
  const o = await fixture();
  await ensureWebhookCertificates(client.rest, { ...o, now: at(0) });
  const oldCa = pem((await readSecret(o)).data['ca.crt']);
  const rotated = await ensureWebhookCertificates(client.rest, { ...o, now: at(2500) });
  expect(rotated.plan.action).toBe('new-ca');
  expect(rotated.caBundle).toBe('patched');
  const secret = await readSecret(o);
  const newCa = pem(secret.data['ca.crt']);
  expect(newCa).not.toBe(oldCa);
  expect(pem(secret.data['ca-previous.crt'])).toBe(oldCa);
  const [bundle] = await bundles(o);
  expect(bundle).toContain(newCa.trim());
  expect(bundle).toContain(oldCa.trim());
});

test('two replicas racing from nothing end up serving the same certificate', async () => {
  const o = await fixture();
  const [a, b] = await Promise.all([
    ensureWebhookCertificates(client.rest, { ...o, now: at(0) }),
    ensureWebhookCertificates(client.rest, { ...o, now: at(0) }),
  ]);
  const stored = pem((await readSecret(o)).data['tls.crt']);
  // The loser of the create re-reads and keeps the winner's; at worst both wrote in turn: a third run keeps.
  const settled = await ensureWebhookCertificates(client.rest, { ...o, now: at(0) });
  expect(settled.plan.action).toBe('keep');
  expect(settled.certificate.certPem).toBe(stored);
  expect([a.certificate.certPem, b.certificate.certPem]).toContain(stored);
});

test('a missing webhook configuration is reported, not fatal', async () => {
  const o = await fixture(false);
  const result = await ensureWebhookCertificates(client.rest, { ...o, now: at(0) });
  expect(result.caBundle).toBe('webhook-missing');
  expect(result.certificate.certPem).toContain('BEGIN CERTIFICATE');
});

test('the TLS server picks up a renewed certificate without a restart', async () => {
  const o = await fixture();
  const first = await ensureWebhookCertificates(client.rest, o);
  const webhook = await startWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certificate: first.certificate,
    lookups: { getNode: () => undefined, activeRemediationFor: () => undefined },
  });
  const probe = (ca: string) =>
    send(webhook.port, { path: '/validate', tls: { ca, servername: HOST } }).then((r) => r.status);
  try {
    expect(await probe(first.caBundlePem)).toBe(405);
    // Someone deleted the Secret: the next refresh makes a whole new chain.
    await client.rest.delete(secretPath(o.namespace, o.secretName));
    const refresher = refreshCertificates(first.certificate, {
      load: async () => (await ensureWebhookCertificates(client.rest, o)).certificate,
      onChange: (certificate) => webhook.setCertificate(certificate),
      intervalMs: 3_600_000,
    });
    await refresher.refresh();
    refresher.stop();
    const newCa = pem((await readSecret(o)).data['ca.crt']);
    expect(newCa).not.toBe(first.caBundlePem);
    expect(await probe(newCa)).toBe(405);
    await expect(probe(first.caBundlePem)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  } finally {
    await webhook.close();
  }
});

test('refresh keeps the old certificate when a load fails, and reports it', async () => {
  const errors: unknown[] = [];
  const changes: string[] = [];
  const initial = { certPem: 'A', keyPem: 'a' };
  let next: () => Promise<{ certPem: string; keyPem: string }> = () => Promise.reject(new Error('forbidden'));
  const refresher = refreshCertificates(initial, {
    load: () => next(),
    onChange: (c) => changes.push(c.certPem),
    onError: (e) => errors.push(e),
  });
  await refresher.refresh();
  expect(changes).toEqual([]);
  expect(String(errors[0])).toContain('forbidden');
  next = async () => ({ certPem: 'A', keyPem: 'a' });
  await refresher.refresh();
  expect(changes).toEqual([]);
  next = async () => ({ certPem: 'B', keyPem: 'b' });
  await refresher.refresh();
  expect(changes).toEqual(['B']);
  refresher.stop();
});

test('cert-manager mode reads tls.crt and tls.key from the mounted Secret', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chainmedic-certs-'));
  try {
    await writeFile(join(dir, 'tls.crt'), 'CERT');
    await writeFile(join(dir, 'tls.key'), 'KEY');
    expect(await certificateFromDir(dir)).toEqual({ certPem: 'CERT', keyPem: 'KEY' });
    await rm(join(dir, 'tls.key'));
    await expect(certificateFromDir(dir)).rejects.toThrow(/ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
