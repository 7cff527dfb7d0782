import { kubeClient, type KubeClient } from '../../src/kube/client.js';
import { paths } from '../../src/kube/paths.js';
import { MERGE_PATCH } from '../../src/kube/rest.js';
import { startWebhookServer, type WebhookServerHandle } from '../../src/server/admission/webhook-server.js';
import type { AdmissionLookups } from '../../src/server/admission/lookups.js';
import { createCa, createServingCertificate } from '../../src/server/certs/generate.js';
import { serviceDnsNames } from '../../src/server/certs/names.js';
import { startEnv, type Env } from '../kit/env.js';
import { send } from './http-client.js';
import { restLookups } from './rest-lookups.js';
import { INVALID, objectOf, VALID, type InvalidCase } from '../api/validation-cases.js';

const [SERVICE_NAME] = serviceDnsNames('chainmedic-operator', 'chainmedic-system') as [string];

let env: Env;
let client: KubeClient;
let webhook: WebhookServerHandle;
let ca: string;
let healthy: string;
let optedOut: string;
let busy: string;
let finished: string;
let windows: string;
let lookups: AdmissionLookups;
let failLookups = false;

beforeAll(async () => {
  // The CRDs installed, no policy: the webhook is what is under test, posted to directly.
  env = await startEnv({ linuxNodes: 4, windowsNodes: 1, policy: null });
  client = kubeClient(env.cluster.kubeconfigPath);
  [healthy, optedOut, busy, finished] = env.cluster.linuxNodeNames() as [string, string, string, string];
  windows = env.cluster.windowsNodeNames()[0] as string;
  await client.rest.patch(paths.node(optedOut), MERGE_PATCH, {
    metadata: { annotations: { 'chainmedic.io/opt-out': 'true' } },
  });
  // "True" is not "true": only the exact value opts out.
  await client.rest.patch(paths.node(healthy), MERGE_PATCH, {
    metadata: { annotations: { 'chainmedic.io/opt-out': 'True' } },
  });
  await client.rest.create(paths.remediations(), remediation('busy-1', busy, 'CrashLoop'));
  await client.rest.create(paths.remediations(), remediation('finished-1', finished, 'CrashLoop'));
  await client.rest.patch(paths.remediationStatus('finished-1'), MERGE_PATCH, {
    status: { phase: 'Succeeded' },
  });

  const real = restLookups(client.rest);
  lookups = {
    getNode: (name) =>
      failLookups ? Promise.reject(new Error('API server unreachable')) : real.getNode(name),
    activeRemediationFor: (node) => real.activeRemediationFor(node),
    allowedAgentImages: ['registry.example/chainmedic:1.2.3'],
  };
  const caPair = createCa(new Date(), 'test-ca');
  ca = caPair.certPem;
  webhook = await startWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certificate: createServingCertificate(
      caPair,
      new Date(),
      serviceDnsNames('chainmedic-operator', 'chainmedic-system'),
    ),
    lookups,
  });
});

afterAll(async () => {
  await webhook?.close();
  await env?.close();
});

function remediation(name: string, nodeName: string, source: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'chainmedic.io/v1alpha1',
    kind: 'NodeRemediation',
    metadata: { name },
    spec: { nodeName, trigger: { source }, ...extra },
  };
}

function policy(spec: unknown, name = 'default') {
  return { apiVersion: 'chainmedic.io/v1alpha1', kind: 'RemediationPolicy', metadata: { name }, spec };
}

let uidCounter = 0;
function review(kind: string, operation: string, object: unknown) {
  const plural = kind === 'NodeRemediation' ? 'noderemediations' : 'remediationpolicies';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `705ab4f5-6393-11e8-b7cc-42010a8000${String(++uidCounter).padStart(2, '0')}`,
      kind: { group: 'chainmedic.io', version: 'v1alpha1', kind },
      resource: { group: 'chainmedic.io', version: 'v1alpha1', resource: plural },
      requestKind: { group: 'chainmedic.io', version: 'v1alpha1', kind },
      name: (object as { metadata?: { name?: string } }).metadata?.name,
      operation,
      userInfo: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
      object: operation === 'DELETE' ? null : object,
      oldObject: operation === 'CREATE' ? null : object,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

interface ReviewResponse {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    warnings?: string[];
    status?: { code: number; reason: string; message: string };
  };
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  return send(webhook.port, {
    method: 'POST',
    path: '/validate',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    tls: { ca, servername: SERVICE_NAME },
  });
}

async function decide(kind: string, operation: string, object: unknown): Promise<ReviewResponse['response']> {
  const body = review(kind, operation, object);
  const res = await post(body);
  expect(res.status).toBe(200);
  const parsed = JSON.parse(res.body) as ReviewResponse;
  expect(parsed.apiVersion).toBe('admission.k8s.io/v1');
  expect(parsed.kind).toBe('AdmissionReview');
  expect(parsed.response.uid).toBe(body.request.uid);
  return parsed.response;
}

describe('NodeRemediation CREATE with trigger.source Manual', () => {
  test('allowed on an existing Linux node that is not opted out and has nothing in flight', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('manual-1', healthy, 'Manual'));
    expect(res).toEqual({ uid: expect.any(String), allowed: true });
  });

  test('allowed when the node only has finished remediations', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('manual-2', finished, 'Manual'));
    expect(res.allowed).toBe(true);
  });

  test('rejected: the node does not exist', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('m', 'no-such-node', 'Manual'));
    expect(res.allowed).toBe(false);
    expect(res.status).toEqual({
      code: 422,
      reason: 'Invalid',
      message: 'spec.nodeName: node "no-such-node" does not exist',
    });
  });

  test('rejected: a Windows node', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('m', windows, 'Manual'));
    expect(res.allowed).toBe(false);
    expect(res.status?.code).toBe(403);
    expect(res.status?.message).toBe(
      `spec.nodeName: node "${windows}" is not a Linux node (label kubernetes.io/os=windows); chainmedic only remediates Linux nodes`,
    );
  });

  test('rejected: an opted-out node', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('m', optedOut, 'Manual'));
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toBe(
      `spec.nodeName: node "${optedOut}" is opted out (annotation chainmedic.io/opt-out="true"); remove the annotation first`,
    );
  });

  test('rejected: the node already has an active remediation, named in the message', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('m', busy, 'Manual'));
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toBe(
      `spec.nodeName: node "${busy}" already has an active NodeRemediation "busy-1"; wait for it to finish`,
    );
  });

  test('rejected: a spec the schema refuses, with the field path', async () => {
    const res = await decide('NodeRemediation', 'CREATE', {
      apiVersion: 'chainmedic.io/v1alpha1',
      kind: 'NodeRemediation',
      metadata: { name: 'm' },
      spec: { trigger: { source: 'Manual' } },
    });
    expect(res.allowed).toBe(false);
    expect(res.status?.code).toBe(422);
    expect(res.status?.message).toMatch(/^spec\.nodeName: /);
  });

  test('a failing lookup does not block: allowed with a warning', async () => {
    failLookups = true;
    try {
      const res = await decide('NodeRemediation', 'CREATE', remediation('m', optedOut, 'Manual'));
      expect(res.allowed).toBe(true);
      expect(res.warnings?.[0]).toContain('API server unreachable');
    } finally {
      failLookups = false;
    }
  });
});

describe('what the webhook leaves alone', () => {
  test('remediations the operator creates (CrashLoop) are not second-guessed', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('c', windows, 'CrashLoop'));
    expect(res.allowed).toBe(true);
  });

  test('NodeRemediation UPDATE and DELETE, RemediationPolicy DELETE', async () => {
    expect((await decide('NodeRemediation', 'UPDATE', remediation('m', 'gone', 'Manual'))).allowed).toBe(
      true,
    );
    expect((await decide('NodeRemediation', 'DELETE', remediation('m', 'gone', 'Manual'))).allowed).toBe(
      true,
    );
    expect((await decide('RemediationPolicy', 'DELETE', policy({ cooldown: 'x' }))).allowed).toBe(true);
  });
});

describe('RemediationPolicy CREATE and UPDATE', () => {
  test('a sound policy is allowed on create and update', async () => {
    const spec = {
      maxConcurrent: 2,
      maxUnhealthy: '20%',
      cooldown: '5m',
      signatures: ['failed to detect iptables'],
    };
    expect((await decide('RemediationPolicy', 'CREATE', policy(spec))).allowed).toBe(true);
    expect((await decide('RemediationPolicy', 'UPDATE', policy(spec))).allowed).toBe(true);
    expect((await decide('RemediationPolicy', 'CREATE', policy(undefined))).allowed).toBe(true);
  });

  test('an agent image the operator does not allow is refused with what is allowed', async () => {
    const foreign = await decide(
      'RemediationPolicy',
      'UPDATE',
      policy({ job: { image: 'evil.example/x:1' } }),
    );
    expect(foreign.allowed).toBe(false);
    expect(foreign.status?.message).toContain('spec.job.image: "evil.example/x:1" is not an agent image');
    expect(foreign.status?.message).toContain('"registry.example/chainmedic:1.2.3"');
    const allowed = policy({ job: { image: 'registry.example/chainmedic:1.2.3' } });
    expect((await decide('RemediationPolicy', 'CREATE', allowed)).allowed).toBe(true);
  });

  test('every problem is reported at once', async () => {
    const res = await decide('RemediationPolicy', 'CREATE', policy({ cooldown: 'x', verifyTimeout: 'y' }));
    expect(res.status?.message).toContain('spec.cooldown');
    expect(res.status?.message).toContain('spec.verifyTimeout');
  });

  test('a policy not named default is allowed with a warning that it has no effect', async () => {
    const res = await decide('RemediationPolicy', 'CREATE', policy({}, 'other'));
    expect(res.allowed).toBe(true);
    expect(res.warnings).toEqual([
      'only the RemediationPolicy named "default" is used; "other" has no effect',
    ]);
  });
});

// Which check lives where: test/api/validation-cases.ts lists every invalid object with who refuses it, the CRD
// (the API server, webhook or not: test/control-plane/crd-validation.test.ts) and the webhook (here). The webhook
// refuses every one of them, the CRD's too: its checks are validatePolicy and the zod schema, which the operator
// applies anyway; they never fire behind the current CRDs (the API server validates the schema, CEL included,
// before it calls webhooks) but do behind older ones. Its own are those that need the cluster (a Manual
// remediation's node) and those CEL cannot express (signatures are JavaScript regular expressions).
describe('which check lives where (test/api/validation-cases.ts)', () => {
  const where = (c: InvalidCase) =>
    c.crd ? `also the CRD's, at ${c.crd.field}` : "the webhook's alone: the API server accepts it";
  test.each(INVALID.map((c) => [`${c.kind}: ${c.what} (${where(c)})`, c] as const))(
    'refused: %s',
    async (_name, c) => {
      const operations = c.kind === 'RemediationPolicy' ? ['CREATE', 'UPDATE'] : ['CREATE'];
      for (const operation of operations) {
        const res = await decide(c.kind, operation, objectOf(c.kind, 'default', c.spec));
        expect({ operation, allowed: res.allowed, code: res.status?.code }).toEqual({
          operation,
          allowed: false,
          code: 422,
        });
        expect(res.status?.message).toContain(c.webhook);
      }
    },
  );

  test.each(VALID.map((c) => [`${c.kind}: ${c.what}`, c] as const))('allowed: %s', async (_name, c) => {
    const res = await decide(c.kind, 'CREATE', objectOf(c.kind, 'default', c.spec));
    expect(res).toEqual({ uid: expect.any(String), allowed: true });
  });

  test("a NodeRemediation UPDATE is the CRD's: spec.nodeName is immutable there, the webhook allows it", async () => {
    const res = await decide('NodeRemediation', 'UPDATE', remediation('m', 'another-node', 'Manual'));
    expect(res.allowed).toBe(true);
  });
});

describe('bad input gets a clear 4xx and the server keeps serving', () => {
  const tls = () => ({ ca, servername: SERVICE_NAME });
  const errorOf = (body: string) => (JSON.parse(body) as { error: string }).error;

  test('malformed JSON', async () => {
    const res = await post('{"apiVersion": "admission.k8s.io/v1", ');
    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toBe('request body is not valid JSON');
  });

  test('wrong content type', async () => {
    const res = await post(
      JSON.stringify(review('NodeRemediation', 'CREATE', remediation('m', healthy, 'Manual'))),
      {
        'content-type': 'text/plain',
      },
    );
    expect(res.status).toBe(415);
    expect(errorOf(res.body)).toBe('Content-Type must be application/json');
  });

  test('a body over 1 MiB', async () => {
    const big = review('RemediationPolicy', 'CREATE', policy({ signatures: ['x'.repeat(1024 * 1024)] }));
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(errorOf(res.body)).toBe('request body too large');
  });

  test('JSON that is not an AdmissionReview', async () => {
    for (const body of [
      [],
      'null',
      { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} },
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u', kind: {}, operation: 'CREATE' },
      },
    ]) {
      const res = await post(typeof body === 'string' ? body : JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(errorOf(res.body)).toMatch(/^not an admission\.k8s\.io\/v1 AdmissionReview: /);
    }
  });

  test('wrong method and unknown path', async () => {
    const get = await send(webhook.port, { path: '/validate', tls: tls() });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const other = await send(webhook.port, { method: 'POST', path: '/mutate', tls: tls(), body: '{}' });
    expect(other.status).toBe(404);
  });

  test('still serving after all of that', async () => {
    const res = await decide('NodeRemediation', 'CREATE', remediation('again', healthy, 'Manual'));
    expect(res.allowed).toBe(true);
  });
});

test('the certificate is checked against the Service DNS name', async () => {
  await expect(
    send(webhook.port, {
      method: 'POST',
      path: '/validate',
      body: '{}',
      tls: { ca, servername: 'evil.example.com' },
    }),
  ).rejects.toThrow(/altnames|does not match/i);
});
