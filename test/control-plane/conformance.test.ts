import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { eventually } from '../kit/eventually.js';
import { kubectl, type KubectlResult } from '../kit/kubectl.js';
import { startHarness, type Harness } from '../kit/sim-api.js';
import {
  CASES,
  GADGET_CRD,
  NAMESPACE,
  WATCH_SECONDS,
  type Action,
  type ConformanceCase,
  type Expectation,
  type HttpRequest,
  type WatchRequest,
} from './conformance-cases.js';

// The same cases (conformance-cases.ts) against the real kube-apiserver and the simulated one, side by side:
// each test runs its case on both planes at once and reports both outcomes. The real one is right; a
// disagreement is a bug in the sim (ADR 0007), unless the case is marked real-only (the sim refuses it on
// purpose, clearly, as docs/sim-api.md says).

/** One control plane as the cases see it. */
interface Plane {
  name: 'real' | 'sim';
  send(req: HttpRequest): Promise<Reply>;
  /** Streams a watch until the server ends it; `opened` runs once its response headers arrived. */
  stream(path: string, opened: () => Promise<void>): Promise<Reply>;
  kubectl(args: readonly string[], input?: string): Promise<KubectlResult>;
}

interface Reply {
  status: number;
  warnings: string[];
  text: string;
}

type Outcome =
  | { kind: 'http'; reply: Reply; json: unknown }
  | { kind: 'kubectl'; result: KubectlResult }
  | { kind: 'watch'; status: number; events: string[]; raw: string };

/** The texts of a response's Warning headers (`299 - "text"`, one header each). */
function warningsOf(res: IncomingMessage): string[] {
  const out: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i]!.toLowerCase() !== 'warning') continue;
    const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(res.rawHeaders[i + 1]!);
    out.push(m ? m[1]!.replace(/\\(.)/g, '$1') : res.rawHeaders[i + 1]!);
  }
  return out;
}

function planeClient(
  name: Plane['name'],
  server: string,
  kubeconfig: string,
  cacheDir: string,
  tls?: { ca: Buffer; token: string },
): Plane {
  const send = (req: HttpRequest, timeoutMs = 30_000, opened?: () => Promise<void>): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (body) headers['Content-Type'] = req.contentType ?? 'application/json';
      if (tls) headers.Authorization = `Bearer ${tls.token}`;
      const url = `${server}${req.path}`;
      const options = { method: req.method, headers, ...(tls ? { ca: tls.ca } : {}) };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        const during = opened ? opened() : Promise.resolve();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const reply = {
            status: res.statusCode ?? 0,
            warnings: warningsOf(res),
            text: Buffer.concat(chunks).toString('utf8'),
          };
          during.then(() => resolve(reply), reject);
        });
        res.on('error', reject);
      };
      const r = tls ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
      r.setTimeout(timeoutMs, () =>
        r.destroy(new Error(`${req.method} ${url}: no answer in ${timeoutMs} ms`)),
      );
      r.once('error', reject);
      r.end(body);
    });
  return {
    name,
    send: (req) => send(req),
    stream: (path, opened) => send({ method: 'GET', path }, (WATCH_SECONDS + 20) * 1000, opened),
    kubectl: (args, input) => kubectl(kubeconfig, args, { cacheDir, input }),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function eventName(line: string): string {
  const event = JSON.parse(line) as {
    type: string;
    object?: { metadata?: { annotations?: Record<string, string> } };
  };
  const annotations = event.object?.metadata?.annotations ?? {};
  return event.type === 'BOOKMARK' && annotations['k8s.io/initial-events-end'] === 'true'
    ? 'BOOKMARK(initial-events-end)'
    : event.type;
}

async function watchOutcome(plane: Plane, w: WatchRequest): Promise<Outcome> {
  let rv = '';
  if (w.from === 'list') {
    const list = await plane.send({ method: 'GET', path: w.path });
    if (list.status !== 200) throw new Error(`${plane.name}: list ${w.path}: ${list.status} ${list.text}`);
    rv = (JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  }
  for (const write of w.before ?? []) await mustSucceed(plane, { http: write });
  // A consistent list is served once the watch cache holds everything etcd committed: the writes above are then
  // history the watch replays, never live events that happen to reach the cache after the watch opened (which
  // would bring a bookmark before the timeout, as a live change does).
  if (w.before?.length) await plane.send({ method: 'GET', path: w.path });
  const query = [
    'watch=true',
    `timeoutSeconds=${WATCH_SECONDS}`,
    ...(rv ? [`resourceVersion=${rv}`] : []),
    ...(w.query ? [w.query] : []),
  ].join('&');
  const reply = await plane.stream(`${w.path}?${query}`, async () => {
    for (const write of w.during ?? []) await mustSucceed(plane, { http: write });
  });
  const lines = reply.text.split('\n').filter((l) => l.trim() !== '');
  const events = reply.status === 200 ? lines.map(eventName) : [];
  // Several bookmarks in a row say no more than one (the real one may repeat one near the timeout).
  const collapsed = events.filter((e, i) => !(e === 'BOOKMARK' && events[i - 1] === 'BOOKMARK'));
  return { kind: 'watch', status: reply.status, events: collapsed, raw: reply.text.slice(0, 2000) };
}

async function run(plane: Plane, action: Action): Promise<Outcome> {
  if ('http' in action) {
    const reply = await plane.send(action.http);
    return { kind: 'http', reply, json: parseJson(reply.text) };
  }
  if ('kubectl' in action)
    return { kind: 'kubectl', result: await plane.kubectl(action.kubectl, action.input) };
  return watchOutcome(plane, action.watch);
}

async function mustSucceed(plane: Plane, action: Action): Promise<void> {
  const outcome = await run(plane, action);
  const ok =
    outcome.kind === 'http'
      ? outcome.reply.status < 300
      : outcome.kind === 'kubectl'
        ? outcome.result.code === 0
        : outcome.status === 200;
  if (!ok)
    throw new Error(`${plane.name}: setup ${JSON.stringify(action)} failed: ${JSON.stringify(outcome)}`);
}

function at(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sorted = (xs: string[]) => [...xs].sort();

/** What differs between an outcome and its expectation (empty: it meets it). */
function problems(expect: Expectation, outcome: Outcome): string[] {
  const out: string[] = [];
  const want = (what: string, expected: unknown, actual: unknown) => {
    if (expected instanceof RegExp) {
      if (typeof actual !== 'string' || !expected.test(actual))
        out.push(`${what}: expected to match ${String(expected)}, got ${JSON.stringify(actual)}`);
    } else if (!same(expected, actual)) {
      out.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
  };
  if (outcome.kind === 'kubectl') {
    const { result } = outcome;
    if (expect.exit !== undefined) want('exit code', expect.exit, result.code);
    if (expect.stdout) want('stdout', expect.stdout, result.stdout);
    if (expect.message) want('stderr', expect.message, result.stderr);
    if (expect.exit === 0 && !expect.message && result.stderr !== '') want('stderr', '', result.stderr);
    return out;
  }
  if (outcome.kind === 'watch') {
    want('watch status', 200, outcome.status);
    if (expect.events) want('watch events', expect.events, outcome.events);
    if (out.length > 0) out.push(`watch stream: ${outcome.raw}`);
    return out;
  }
  const { reply, json } = outcome;
  const status = (json ?? {}) as {
    reason?: string;
    message?: string;
    details?: { causes?: Array<{ field?: string; reason?: string }> } & Record<string, unknown>;
  };
  if (expect.status !== undefined) want('status', expect.status, reply.status);
  if (expect.reason !== undefined) want('reason', expect.reason, status.reason);
  if (expect.message !== undefined) want('message', expect.message, status.message);
  const causes = (status.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.reason ?? ''}`);
  if (expect.causes !== undefined) want('causes', sorted(expect.causes), sorted(causes));
  for (const cause of expect.causesInclude ?? []) {
    if (!causes.includes(cause))
      out.push(`causes: expected to include ${cause}, got ${JSON.stringify(causes)}`);
  }
  if (expect.details !== undefined) {
    for (const [key, value] of Object.entries(expect.details))
      want(`details.${key}`, value, status.details?.[key]);
  }
  if (expect.warnings !== undefined) want('warnings', sorted(expect.warnings), sorted(reply.warnings));
  for (const [path, value] of Object.entries(expect.fields ?? {})) want(path, value, at(json, path));
  if (out.length > 0) out.push(`answer: ${reply.status} ${reply.text.slice(0, 1500)}`);
  return out;
}

const ROOT = process.cwd();
const PROJECT_CRDS = readdirSync(join(ROOT, 'manifests', 'crds'))
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(ROOT, 'manifests', 'crds', f), 'utf8')))
  .map((doc) => doc.toJSON() as { metadata: { name: string } });

/** Installs the CRDs and the namespace every case assumes, and waits until the CRDs are served. */
async function prepare(plane: Plane): Promise<void> {
  for (const crd of [...PROJECT_CRDS, GADGET_CRD]) {
    await mustSucceed(plane, {
      http: { method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd },
    });
  }
  await mustSucceed(plane, {
    http: {
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    },
  });
  const served = [
    '/apis/chainmedic.io/v1alpha1/noderemediations',
    '/apis/chainmedic.io/v1alpha1/remediationpolicies',
    `/apis/conformance.chainmedic.io/v1/namespaces/${NAMESPACE}/gadgets`,
  ];
  await eventually(async () => {
    for (const path of served) if ((await plane.send({ method: 'GET', path })).status !== 200) return false;
    return true;
  }, `${plane.name}: the CRDs served`);
}

describe('the simulated API server answers like the real one', () => {
  let cp: ControlPlane | undefined;
  let sim: Harness | undefined;
  let planes: Plane[] = [];
  const dirs: string[] = [];
  const cacheDir = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `chainmedic-conformance-${name}-`));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    [cp, sim] = await Promise.all([
      startControlPlane({ controllers: false }),
      // Bookmarks far more often than a real apiserver's minute: a bookmark the sim should not send shows up.
      startHarness({}, { bookmarkIntervalMs: 250 }),
    ]);
    const real = planeClient('real', cp.server, cp.adminKubeconfig, cacheDir('real'), {
      ca: readFileSync(cp.caFile),
      token: cp.adminToken,
    });
    const simulated = planeClient('sim', sim.server.url, sim.kubeconfigPath, cacheDir('sim'));
    await Promise.all([prepare(real), prepare(simulated)]);
    planes = [real, simulated];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([cp?.stop(), sim?.stop()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const runCase = async (c: ConformanceCase, plane: Plane): Promise<string[]> => {
    for (const action of c.setup ?? []) await mustSucceed(plane, action);
    const expect = plane.name === 'sim' && c.realOnly ? c.realOnly.sim : c.expect;
    return problems(expect, await run(plane, c.do));
  };

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const [real, simulated] = await Promise.all(planes.map((plane) => runCase(c, plane)));
    expect({ real, sim: simulated }).toEqual({ real: [], sim: [] });
  });
});
