/**
 * The CRDs as shipped (manifests/crds, generated from the zod schemas) on a real kube-apiserver with no
 * admission webhook configured: what the API server refuses on its own when the webhook is down (it fails open).
 * Each invalid case of test/api/validation-cases.ts is refused, naming the field, or, when it is the webhook's
 * alone, accepted; every valid case and every NodeRemediation/RemediationPolicy example of the docs is
 * accepted; CEL's duration() agrees with src/config/duration.ts; spec.nodeName is immutable; `kubectl explain`
 * describes every field; and the CEL rules are within the API server's cost budget (it refuses a CRD whose
 * rules are not, as shown with one that is over).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { GROUP, NODE_REMEDIATION_PLURAL, REMEDIATION_POLICY_PLURAL, VERSION } from '../../src/api/index.js';
import { parseDuration } from '../../src/config/duration.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { INVALID, objectOf, VALID, type CaseKind } from '../api/validation-cases.js';
import { eventually } from '../kit/eventually.js';
import { kubectl } from '../kit/kubectl.js';
import { markdownFiles, yamlExamples, type DocsObject } from './docs-examples.js';

const ROOT = process.cwd();
const CRD_DIR = join(ROOT, 'manifests', 'crds');
const CRD_FILES: Record<CaseKind, string> = {
  NodeRemediation: join(CRD_DIR, `${GROUP}_${NODE_REMEDIATION_PLURAL}.yaml`),
  RemediationPolicy: join(CRD_DIR, `${GROUP}_${REMEDIATION_POLICY_PLURAL}.yaml`),
};
const PLURAL: Record<CaseKind, string> = {
  NodeRemediation: NODE_REMEDIATION_PLURAL,
  RemediationPolicy: REMEDIATION_POLICY_PLURAL,
};
const LONG = 120_000;

interface Status {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { reason?: string; field?: string; message?: string }[] };
}

interface CrdSpec {
  versions: { schema: unknown }[];
}

interface Reply {
  status: number;
  json: Status & Record<string, unknown>;
}

let cp: ControlPlane;
let cacheDir: string;
let serial = 0;
const uniqueName = (prefix: string) => `${prefix}-${++serial}`;

/** One request to the API server as cluster admin; the decoded JSON body, whatever the status. */
function send(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: RequestOptions = {
      method,
      ca: readFileSync(cp.caFile),
      headers: {
        Authorization: `Bearer ${cp.adminToken}`,
        Accept: 'application/json',
        ...(data ? { 'Content-Type': contentType } : {}),
      },
    };
    const req = request(`${cp.server}${path}`, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.once('error', reject);
    req.end(data);
  });
}

const collection = (kind: CaseKind) => `/apis/${GROUP}/${VERSION}/${PLURAL[kind]}`;
const create = (kind: CaseKind, spec: Record<string, unknown>, name = uniqueName(kind.toLowerCase())) =>
  send('POST', collection(kind), objectOf(kind, name, spec));
const k = (args: string[], input?: string) => kubectl(cp.adminKubeconfig, args, { cacheDir, input });

/** "field: message" of every cause of a refusal, for a readable failure. */
const causesOf = (reply: Reply) =>
  (reply.json.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`);

beforeAll(async () => {
  cp = await startControlPlane({ controllers: false });
  cacheDir = mkdtempSync(join(tmpdir(), 'chainmedic-kubectl-cache-'));
  const applied = await k(['apply', '--server-side', '-k', CRD_DIR]);
  if (applied.code !== 0) throw new Error(`apply -k manifests/crds: ${applied.stderr}`);
  const waited = await k([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    `crd/${NODE_REMEDIATION_PLURAL}.${GROUP}`,
    `crd/${REMEDIATION_POLICY_PLURAL}.${GROUP}`,
  ]);
  if (waited.code !== 0) throw new Error(`CRDs not Established: ${waited.stderr}`);
  // Established comes before the API server serves the resource to every handler: wait for a list to work.
  for (const kind of ['NodeRemediation', 'RemediationPolicy'] as const) {
    await eventually(async () => (await send('GET', collection(kind))).status === 200, `${kind} served`);
  }
}, LONG);

afterAll(async () => {
  await cp?.stop();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe('the CEL cost budget, as the API server applies it', () => {
  test('both CRDs were accepted with their rules: every rule within the per-rule and per-CRD budget', async () => {
    for (const file of Object.values(CRD_FILES)) {
      const crd = parse(readFileSync(file, 'utf8')) as { metadata: { name: string }; spec: CrdSpec };
      const live = await send(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      expect(live.status).toBe(200);
      // Stored as shipped: no rule dropped or rewritten.
      expect((live.json.spec as CrdSpec).versions[0]!.schema).toEqual(crd.spec.versions[0]!.schema);
      expect(JSON.stringify(crd.spec)).toContain('x-kubernetes-validations');
      const conditions = (live.json.status as { conditions: { type: string; status: string }[] }).conditions;
      expect(conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Established', status: 'True' })]),
      );
    }
  });

  test('the check can fail: the same CRD with one rule over budget is refused', async () => {
    const copy = parse(readFileSync(CRD_FILES.RemediationPolicy, 'utf8')) as {
      metadata: { name: string };
      spec: {
        group: string;
        versions: {
          schema: {
            openAPIV3Schema: {
              properties: { spec: { properties: Record<string, Record<string, unknown>> } };
            };
          };
        }[];
      };
    };
    copy.metadata.name = `${REMEDIATION_POLICY_PLURAL}.budget.example.com`;
    copy.spec.group = 'budget.example.com';
    const signatures = copy.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.signatures!;
    // 32 x 32 regular expressions of up to 1024 characters against each other.
    signatures['x-kubernetes-validations'] = [
      { rule: 'self.all(a, self.all(b, a.matches(b)))', message: 'm' },
    ];
    const refused = await send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', copy);
    expect(refused.status).toBe(422);
    expect(refused.json.message).toContain(
      'spec.validation.openAPIV3Schema.properties[spec].properties[signatures].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget',
    );
  });
});

describe('refused by the API server with the webhook down, naming the field', () => {
  test.each(INVALID.filter((c) => c.crd).map((c) => [`${c.kind}: ${c.what}`, c] as const))(
    '%s',
    async (_name, c) => {
      const reply = await create(c.kind, c.spec);
      expect({ status: reply.status, reason: reply.json.reason }).toEqual({ status: 422, reason: 'Invalid' });
      const { field, message } = c.crd!;
      expect(causesOf(reply)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^${escape(field)}: .*${escape(message)}`)),
        ]),
      );
      // The message a person sees (kubectl prints it) names the field too.
      expect(reply.json.message).toContain(`${field}: `);
      expect(reply.json.message).toContain(message);
    },
  );
});

describe("accepted by the API server: the webhook's own checks (it is down)", () => {
  test.each(INVALID.filter((c) => !c.crd).map((c) => [`${c.kind}: ${c.what}`, c] as const))(
    '%s',
    async (_name, c) => {
      const reply = await create(c.kind, c.spec);
      expect({ status: reply.status, causes: causesOf(reply) }).toEqual({ status: 201, causes: [] });
    },
  );
});

describe('accepted: valid objects near the edges of the rules', () => {
  test.each(VALID.map((c) => [`${c.kind}: ${c.what}`, c] as const))('%s', async (_name, c) => {
    const reply = await create(c.kind, c.spec);
    expect({ status: reply.status, causes: causesOf(reply) }).toEqual({ status: 201, causes: [] });
  });
});

describe('accepted: every NodeRemediation and RemediationPolicy example of the docs, as written', () => {
  const examples = markdownFiles(ROOT)
    .flatMap((file) => yamlExamples(file, relative(ROOT, file)))
    .flatMap((e) =>
      e.kind === 'object' && (e.object.kind === 'NodeRemediation' || e.object.kind === 'RemediationPolicy')
        ? [[e.where, e.object] as const]
        : [],
    );
  test('there are some', () => {
    expect(examples.map(([, o]) => o.kind)).toEqual(
      expect.arrayContaining(['NodeRemediation', 'RemediationPolicy']),
    );
  });
  test.each(examples)('%s', async (_where, object: DocsObject) => {
    const reply = await send('POST', `${collection(object.kind as CaseKind)}?dryRun=All`, object);
    expect({ status: reply.status, causes: causesOf(reply), message: reply.json.message }).toEqual({
      status: 201,
      causes: [],
      message: undefined,
    });
  });
});

describe("CEL's duration() reads a duration as src/config/duration.ts does", () => {
  // [cooldown, attemptWindow]: the API server accepts exactly when the operator's parser says cooldown <= window.
  const pairs: [string, string][] = [
    ['1.5h', '90m'],
    ['90m1ms', '1.5h'],
    ['5400000ms', '1h30m'],
    ['5400001ms', '1h30m'],
    ['1h0.00001h', '1h36ms'],
    ['1h0.00001h', '1h35ms'],
    ['1h0.0001m', '1h6ms'],
    ['1h0.0001m', '1h5ms'],
    ['1.001s', '1001ms'],
    ['1.001s', '1000ms'],
    ['1m1h', '61m'],
    ['1h1m', '1h'],
    ['59.999s', '1m'],
    ['1m0.001s', '1m'],
    ['99999.99999h', '359999999964ms'],
    ['99999.99999h', '359999999963ms'],
    ['12h34m56.789s', '45296789ms'],
    ['12h34m56.789s', '45296788ms'],
  ];
  test.each(pairs)('cooldown %s, attemptWindow %s', async (cooldown, attemptWindow) => {
    const c = parseDuration(cooldown);
    const w = parseDuration(attemptWindow);
    expect(c).not.toBeNull();
    expect(w).not.toBeNull();
    const reply = await create('RemediationPolicy', { cooldown, attemptWindow });
    expect({ accepted: reply.status === 201, causes: causesOf(reply) }).toEqual(
      c! <= w!
        ? { accepted: true, causes: [] }
        : { accepted: false, causes: [expect.stringContaining('spec.cooldown: ')] },
    );
  });

  // [timeout, agentWaitSeconds]: accepted exactly when the operator's parser says timeout > wait.
  const waits: [string, number][] = [
    ['90.001s', 90],
    ['1.5m', 90],
    ['0.025h', 89],
    ['0.025h', 90],
  ];
  test.each(waits)('job.timeout %s, agentWaitSeconds %i', async (timeout, agentWaitSeconds) => {
    const ms = parseDuration(timeout)!;
    const reply = await create('RemediationPolicy', { job: { timeout, agentWaitSeconds } });
    expect(reply.status === 201).toBe(ms > agentWaitSeconds * 1000);
  });
});

describe('spec.nodeName is immutable', () => {
  test('an update that changes it is refused; one that keeps it, and status writes, are accepted', async () => {
    const name = uniqueName('immutable');
    const path = `${collection('NodeRemediation')}/${name}`;
    const created = await create(
      'NodeRemediation',
      { nodeName: 'node-a', trigger: { source: 'CrashLoop' } },
      name,
    );
    expect(created.status).toBe(201);

    const merge = 'application/merge-patch+json';
    const moved = await send('PATCH', path, { spec: { nodeName: 'node-b' } }, merge);
    expect(moved.status).toBe(422);
    expect(causesOf(moved)).toEqual([
      'spec.nodeName: Invalid value: "string": is immutable: a NodeRemediation is about one node; create another one for another node',
    ]);
    const put = await send('PUT', path, {
      ...created.json,
      spec: { nodeName: 'node-b', trigger: { source: 'CrashLoop' } },
    });
    expect(put.status).toBe(422);
    expect(put.json.message).toContain('spec.nodeName: Invalid value: "string": is immutable');

    const kept = await send('PATCH', path, { spec: { nodeName: 'node-a', dryRun: true } }, merge);
    expect(kept.status).toBe(200);
    const status = await send('PATCH', `${path}/status`, { status: { phase: 'Pending' } }, merge);
    expect(status.status).toBe(200);
    const live = await send('GET', path);
    expect(live.json).toMatchObject({
      spec: { nodeName: 'node-a', dryRun: true },
      status: { phase: 'Pending' },
    });

    const viaKubectl = await k([
      'patch',
      'nrem',
      name,
      '--type',
      'merge',
      '-p',
      '{"spec":{"nodeName":"node-c"}}',
    ]);
    expect(viaKubectl.code).not.toBe(0);
    expect(viaKubectl.stderr).toContain('spec.nodeName: Invalid value: "string": is immutable');
  });
});

describe('kubectl explain describes every field', () => {
  interface Schema {
    type?: string;
    description?: string;
    properties?: Record<string, Schema>;
    items?: Schema;
  }

  /** Every object node (kind root, spec, status, nested objects, lists of objects), by explain path. */
  function objectNodes(schema: Schema, path: string): [string, Schema][] {
    // A list explains as its items' fields under the list's own description.
    const fields = (schema.type === 'array' ? schema.items : schema)?.properties;
    if (!fields) return [];
    return [
      [path, { ...schema, properties: fields }],
      ...Object.entries(fields)
        // metadata is the API server's ObjectMeta, with its own descriptions.
        .filter(([name]) => !(path.indexOf('.') < 0 && name === 'metadata'))
        .flatMap(([name, sub]) => objectNodes(sub, `${path}.${name}`)),
    ];
  }

  /** `name -> description` of an explain output's FIELDS section (an enum's values line left out), normalized. */
  function fieldsOf(output: string): Map<string, string> {
    const fields = new Map<string, string>();
    let current: { name: string; lines: string[] } | undefined;
    const flush = () => current && fields.set(current.name, normalize(current.lines.join(' ')));
    for (const line of (output.split(/^FIELDS:$/m)[1] ?? '').split('\n')) {
      const head = /^ {2}(\S+)\t</.exec(line);
      if (head) {
        flush();
        current = { name: head[1]!, lines: [] };
      } else if (current && !/^ {2}enum: /.test(line)) current.lines.push(line);
    }
    flush();
    return fields;
  }

  const cases = (['NodeRemediation', 'RemediationPolicy'] as const).flatMap((kind) => {
    const crd = parse(readFileSync(CRD_FILES[kind], 'utf8')) as {
      spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
    };
    return objectNodes(crd.spec.versions[0]!.schema.openAPIV3Schema, PLURAL[kind]).map(
      ([path, node]) => [path, node] as const,
    );
  });

  let explainCache = '';
  beforeAll(async () => {
    // explain reads the OpenAPI v3 document, which the API server publishes for a new CRD after Established;
    // kubectl does not refresh a discovery cache that predates it, so explain gets a fresh one.
    await eventually(async () => {
      const doc = await send('GET', `/openapi/v3/apis/${GROUP}/${VERSION}`);
      const text = JSON.stringify(doc.json);
      return (
        doc.status === 200 &&
        text.includes('"io.chainmedic.v1alpha1.NodeRemediation"') &&
        text.includes('"io.chainmedic.v1alpha1.RemediationPolicy"')
      );
    }, `the OpenAPI v3 document of ${GROUP}/${VERSION}`);
    explainCache = mkdtempSync(join(tmpdir(), 'chainmedic-kubectl-cache-'));
  });
  afterAll(() => {
    if (explainCache) rmSync(explainCache, { recursive: true, force: true });
  });

  test('the schemas have object nodes to walk', () => {
    expect(cases.map(([path]) => path)).toEqual(
      expect.arrayContaining([
        'noderemediations',
        'noderemediations.spec',
        'noderemediations.spec.trigger',
        'noderemediations.status.attempts',
        'remediationpolicies.spec.job',
        'remediationpolicies.status.stormGuard',
      ]),
    );
  });

  test.each(cases)('kubectl explain %s', async (path, node) => {
    const explained = await kubectl(cp.adminKubeconfig, ['explain', path], { cacheDir: explainCache });
    expect(explained.stderr).toBe('');
    expect(explained.code).toBe(0);
    const description = (explained.stdout.split(/^DESCRIPTION:$/m)[1] ?? '').split(/^FIELDS:$/m)[0] ?? '';
    expect(normalize(description)).toBe(normalize(node.description ?? '<no description in the CRD>'));
    const printed = fieldsOf(explained.stdout);
    for (const [name, sub] of Object.entries(node.properties ?? {})) {
      const text = printed.get(name);
      expect({ field: `${path}.${name}`, text }).toEqual({
        field: `${path}.${name}`,
        text: expect.stringMatching(/\S/),
      });
      expect(text).not.toMatch(/^<(no description|empty)>$/);
      if (name !== 'metadata') expect(text).toBe(normalize(sub.description ?? ''));
    }
  });
});

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
