import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCa, createServingCertificate } from '../../../../src/server/certs/generate.js';
import { startSimApi, type SimApi } from '../../../kit/sim-api.js';

// The simulated API server calls validating admission webhooks as kube-apiserver does (the scenarios in
// test/control-plane/scenarios/ compare it with the real one through the operator's own webhook). The webhook
// host is the operator Service's DNS name, which hack/loopback-netns.sh maps to 127.0.0.1.
const HOST = 'chainmedic-operator.chainmedic-system.svc';

interface Review {
  request: {
    uid: string;
    operation: string;
    name: string;
    dryRun: boolean;
    object: { data?: Record<string, string> };
  };
}

let sim: SimApi;
let webhook: Server;
let port: number;
let caBundle: string;
const reviews: Review[] = [];

/** Denies a ConfigMap whose data.verdict is "deny" (422 with a reason), warns on "warn". */
function answer(review: Review) {
  const verdict = review.request.object?.data?.verdict;
  const base = { uid: review.request.uid };
  if (verdict === 'deny')
    return {
      ...base,
      allowed: false,
      status: { code: 422, reason: 'Invalid', message: 'data.verdict: denied' },
    };
  if (verdict === 'deny-no-code') return { ...base, allowed: false, status: { message: 'no' } };
  return { ...base, allowed: true, ...(verdict === 'warn' ? { warnings: ['careful'] } : {}) };
}

beforeAll(async () => {
  sim = await startSimApi({ namespaces: ['wh'] });
  const now = new Date();
  const ca = createCa(now, 'webhook-test-ca');
  const serving = createServingCertificate(ca, now, [HOST]);
  caBundle = Buffer.from(ca.certPem).toString('base64');
  webhook = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      reviews.push(review);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: answer(review),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  port = (webhook.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => webhook?.close(resolve));
  await sim?.close();
});
beforeEach(() => {
  reviews.length = 0;
  for (const c of sim.store.list({
    group: 'admissionregistration.k8s.io',
    resource: 'validatingwebhookconfigurations',
  }))
    sim.store.delete(
      { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' },
      undefined,
      c.metadata.name as string,
    );
});

async function configure(options: {
  port?: number;
  failurePolicy?: string;
  sideEffects?: string;
  resources?: string[];
}) {
  await sim.client.rest.create('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'test' },
    webhooks: [
      {
        name: 'configmaps.test.io',
        admissionReviewVersions: ['v1'],
        sideEffects: options.sideEffects ?? 'None',
        failurePolicy: options.failurePolicy ?? 'Fail',
        timeoutSeconds: 5,
        clientConfig: { url: `https://${HOST}:${options.port ?? port}/validate`, caBundle },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: options.resources ?? ['configmaps'],
            scope: 'Namespaced',
          },
        ],
      },
    ],
  });
}

const configMap = (name: string, verdict: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'wh' },
  data: { verdict },
});

async function post(body: unknown, query = '') {
  const response = await fetch(`${sim.server.url}/api/v1/namespaces/wh/configmaps${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    warning: response.headers.get('warning'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

test('a denial is the API error: the webhook named, its code and reason; nothing stored', async () => {
  await configure({});
  const denied = await post(configMap('denied', 'deny'));
  expect(denied.status).toBe(422);
  expect(denied.body).toMatchObject({
    reason: 'Invalid',
    message:
      'configmaps "denied" is forbidden: admission webhook "configmaps.test.io" denied the request: data.verdict: denied',
    details: { group: '', kind: 'configmaps', name: 'denied' },
  });
  expect(sim.store.get({ group: '', resource: 'configmaps' }, 'wh', 'denied')).toBeUndefined();
  // No code: 403 Forbidden.
  expect((await post(configMap('no-code', 'deny-no-code'))).body).toMatchObject({
    code: 403,
    reason: 'Forbidden',
    message:
      'configmaps "no-code" is forbidden: admission webhook "configmaps.test.io" denied the request: no',
  });
  expect(reviews.map((r) => [r.request.operation, r.request.name, r.request.dryRun])).toEqual([
    ['CREATE', 'denied', false],
    ['CREATE', 'no-code', false],
  ]);
});

test('admitted: stored, with the webhook warnings in the answer; updates and dry runs are judged too', async () => {
  await configure({});
  const created = await post(configMap('warned', 'warn'));
  expect(created.status).toBe(201);
  expect(created.warning).toBe('299 - "careful"');
  await expect(
    sim.client.rest.patch('/api/v1/namespaces/wh/configmaps/warned', 'application/merge-patch+json', {
      data: { verdict: 'deny' },
    }),
  ).rejects.toMatchObject({ code: 422 });
  expect((await post(configMap('dry', 'deny'), '?dryRun=All')).status).toBe(422);
  expect(reviews.map((r) => [r.request.operation, r.request.dryRun])).toEqual([
    ['CREATE', false],
    ['UPDATE', false],
    ['CREATE', true],
  ]);
});

test('a webhook that cannot be reached: failurePolicy Ignore admits, Fail is a 500 naming it', async () => {
  const closed = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  await configure({ port: closed, failurePolicy: 'Ignore' });
  expect((await post(configMap('ignored', 'deny'))).status).toBe(201);
  sim.store.delete(
    { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' },
    undefined,
    'test',
  );
  await configure({ port: closed, failurePolicy: 'Fail' });
  const failed = await post(configMap('failed', 'ok'));
  expect(failed.status).toBe(500);
  expect(String(failed.body.message)).toMatch(
    /^Internal error occurred: failed calling webhook "configmaps\.test\.io": /,
  );
});

test('only matching requests are sent; a dry run with side effects is refused', async () => {
  await configure({ resources: ['secrets'] });
  expect((await post(configMap('unmatched', 'deny'))).status).toBe(201);
  expect(reviews).toHaveLength(0);
  sim.store.delete(
    { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' },
    undefined,
    'test',
  );
  await configure({ sideEffects: 'Unknown' });
  const dry = await post(configMap('side', 'ok'), '?dryRun=All');
  expect(dry.status).toBe(400);
  expect(dry.body.message).toBe('admission webhook "configmaps.test.io" does not support dry run');
});
