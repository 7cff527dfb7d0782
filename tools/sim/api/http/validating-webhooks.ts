/**
 * Validating admission webhooks, called as kube-apiserver calls them: after the object is built and validated,
 * before it is stored, every ValidatingWebhookConfiguration webhook whose rules match the request gets an
 * AdmissionReview v1 over HTTPS (clientConfig.url, or a Service's DNS name `<name>.<namespace>.svc`, which
 * hack/loopback-netns.sh maps to 127.0.0.1), trusting only its caBundle. A denial becomes the API error the real
 * server answers (`<resource> "<name>" is forbidden: admission webhook "<webhook>" denied the request: <message>`,
 * the webhook's code, 403 when it gives none);
 * a webhook that cannot be called admits under failurePolicy Ignore and fails the request (500) under Fail.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { ApiError, type KubeObject, type ResourceKey } from '../types.js';
import type { ResourceDef } from '../resources.js';
import type { SimStoreImpl } from '../store.js';
import { matchesLabels, type LabelSelector } from '../selectors.js';
import { errorMessage } from '../../../../src/errors.js';

export const VALIDATING_WEBHOOK_CONFIGURATIONS: ResourceKey = {
  group: 'admissionregistration.k8s.io',
  resource: 'validatingwebhookconfigurations',
};

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

interface Rule {
  apiGroups?: string[];
  apiVersions?: string[];
  operations?: string[];
  resources?: string[];
  scope?: string;
}

interface K8sLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

interface Webhook {
  name: string;
  clientConfig?: {
    url?: string;
    caBundle?: string;
    service?: { name: string; namespace: string; path?: string; port?: number };
  };
  rules?: Rule[];
  failurePolicy?: 'Ignore' | 'Fail';
  sideEffects?: string;
  timeoutSeconds?: number;
  objectSelector?: K8sLabelSelector;
  namespaceSelector?: K8sLabelSelector;
}

export interface AdmissionAttributes {
  def: ResourceDef;
  version: string;
  operation: Operation;
  subresource?: string;
  namespace?: string;
  name: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
}

const anyOf = (list: string[] | undefined, value: string) =>
  (list ?? []).some((entry) => entry === '*' || entry === value);

function ruleMatches(rule: Rule, a: AdmissionAttributes): boolean {
  const resource = a.subresource ? `${a.def.resource}/${a.subresource}` : a.def.resource;
  const resources = rule.resources ?? [];
  const scope = rule.scope ?? '*';
  return (
    anyOf(rule.operations, a.operation) &&
    anyOf(rule.apiGroups, a.def.group) &&
    anyOf(rule.apiVersions, a.version) &&
    (resources.includes('*') ||
      resources.includes(resource) ||
      (a.subresource !== undefined && resources.includes(`*/${a.subresource}`))) &&
    (scope === '*' || scope === (a.def.namespaced ? 'Namespaced' : 'Cluster'))
  );
}

function toSelector(selector: K8sLabelSelector): LabelSelector {
  const requirements: LabelSelector = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
    op: 'in',
    key,
    values: [value],
  }));
  for (const e of selector.matchExpressions ?? []) {
    const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists' }[e.operator];
    if (!op) throw new ApiError(400, 'BadRequest', `unsupported label selector operator ${e.operator}`);
    requirements.push(
      op === 'exists' || op === 'notexists'
        ? { op, key: e.key }
        : { op: op as 'in' | 'notin', key: e.key, values: e.values ?? [] },
    );
  }
  return requirements;
}

function selectorsMatch(store: SimStoreImpl, webhook: Webhook, a: AdmissionAttributes): boolean {
  const object = a.object ?? a.oldObject;
  // Without an object yet (the cheap first look, before the write is previewed) only the rules decide.
  if (
    object &&
    webhook.objectSelector &&
    !matchesLabels(toSelector(webhook.objectSelector), object.metadata.labels)
  )
    return false;
  if (webhook.namespaceSelector && a.def.namespaced && a.namespace) {
    const ns = store.get({ group: '', resource: 'namespaces' }, undefined, a.namespace);
    if (!matchesLabels(toSelector(webhook.namespaceSelector), ns?.metadata.labels)) return false;
  }
  return true;
}

/** The webhooks that apply to the request, in configuration order (the real server's order is by name). */
export function matchingWebhooks(store: SimStoreImpl, a: AdmissionAttributes): Webhook[] {
  if (!store.registry.get(VALIDATING_WEBHOOK_CONFIGURATIONS)) return [];
  return store
    .list(VALIDATING_WEBHOOK_CONFIGURATIONS)
    .sort((x, y) => String(x.metadata.name).localeCompare(String(y.metadata.name)))
    .flatMap((c) => ((c as { webhooks?: Webhook[] }).webhooks ?? []) as Webhook[])
    .filter((w) => (w.rules ?? []).some((r) => ruleMatches(r, a)) && selectorsMatch(store, w, a));
}

function endpoint(webhook: Webhook): URL {
  const config = webhook.clientConfig ?? {};
  if (config.url) return new URL(config.url);
  const svc = config.service;
  if (!svc) throw new Error('clientConfig names neither a url nor a service');
  return new URL(`https://${svc.name}.${svc.namespace}.svc:${svc.port ?? 443}${svc.path ?? ''}`);
}

interface ReviewResponse {
  allowed?: boolean;
  status?: { code?: number; reason?: string; message?: string };
  warnings?: string[];
}

function call(webhook: Webhook, review: unknown): Promise<ReviewResponse> {
  const url = endpoint(webhook);
  const body = JSON.stringify(review);
  const ca = webhook.clientConfig?.caBundle
    ? Buffer.from(webhook.clientConfig.caBundle, 'base64').toString('utf8')
    : undefined;
  const timeoutMs = (webhook.timeoutSeconds ?? 10) * 1000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ...(ca ? { ca } : {}),
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            if ((res.statusCode ?? 0) >= 300) throw new Error(`the server responded with ${res.statusCode}`);
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              response?: ReviewResponse;
            };
            if (!parsed.response) throw new Error('the AdmissionReview has no response');
            resolve(parsed.response);
          } catch (err) {
            reject(err as Error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end(body);
  });
}

function review(a: AdmissionAttributes) {
  const { def, version } = a;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: def.group, version, kind: def.kind },
      resource: { group: def.group, version, resource: def.resource },
      ...(a.subresource ? { subResource: a.subresource } : {}),
      requestKind: { group: def.group, version, kind: def.kind },
      requestResource: { group: def.group, version, resource: def.resource },
      name: a.name,
      ...(a.namespace ? { namespace: a.namespace } : {}),
      operation: a.operation,
      userInfo: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
      object: a.object ?? null,
      oldObject: a.oldObject ?? null,
      dryRun: a.dryRun,
    },
  };
}

/** The error kube-apiserver makes of a denial (its webhook errors' ToStatusErr), word for word. */
function denial(
  a: AdmissionAttributes,
  webhook: string,
  status: NonNullable<ReviewResponse['status']>,
): ApiError {
  const code = status.code || 403;
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  const why = status.message
    ? `${deniedBy}: ${status.message}`
    : status.reason
      ? `${deniedBy}: ${status.reason}`
      : `${deniedBy} without explanation`;
  const resource = a.def.group ? `${a.def.resource}.${a.def.group}` : a.def.resource;
  const name = a.name || 'Unknown';
  const internal = code === 500;
  return new ApiError(
    code,
    status.reason || (internal ? 'InternalError' : 'Forbidden'),
    `${internal ? 'Internal error occurred' : `${resource} "${name}" is forbidden`}: ${why}`,
    // (The real one adds a cause without reason or field to a 500; the sim's causes always carry both.)
    internal ? undefined : { group: a.def.group, kind: a.def.resource, name },
  );
}

/**
 * Calls every matching webhook; resolves with their warnings when all admit, throws the real server's error when
 * one denies (or fails under failurePolicy Fail).
 */
export async function admitByWebhooks(store: SimStoreImpl, a: AdmissionAttributes): Promise<string[]> {
  const warnings: string[] = [];
  for (const webhook of matchingWebhooks(store, a)) {
    if (a.dryRun && !['None', 'NoneOnDryRun'].includes(webhook.sideEffects ?? 'Unknown')) {
      throw new ApiError(400, 'BadRequest', `admission webhook "${webhook.name}" does not support dry run`);
    }
    let response: ReviewResponse;
    try {
      response = await call(webhook, review(a));
    } catch (err) {
      if ((webhook.failurePolicy ?? 'Fail') === 'Ignore') continue;
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: failed calling webhook "${webhook.name}": failed to call webhook: ${errorMessage(err)}`,
      );
    }
    warnings.push(...(response.warnings ?? []));
    if (response.allowed) continue;
    throw denial(a, webhook.name, response.status ?? {});
  }
  return warnings;
}
