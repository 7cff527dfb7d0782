import type { KubeRest } from '../../kube/rest.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import { JSON_PATCH } from '../../kube/rest.js';
import type { ServingCertificate } from '../admission/webhook-server.js';
import { createCa, createServingCertificate } from './generate.js';
import { SECRET_KEYS, serviceDnsNames } from './names.js';
import { planCertificates, type CertificatePlan, type CertificateSecretData } from './plan.js';
import { caBundle, decodeSecretData, encodeSecretData, type SecretObject } from './secret-data.js';

/** The API calls the certificate manager makes (KubeRest fits). */
export type CertApi = Pick<KubeRest, 'get' | 'create' | 'replace' | 'patch'>;

export interface WebhookCertOptions {
  namespace: string;
  secretName: string;
  service: string;
  webhookName: string;
  now?: () => Date;
}

export type CaBundleResult = 'unchanged' | 'patched' | 'webhook-missing';

export interface WebhookCertResult {
  plan: CertificatePlan;
  certificate: ServingCertificate;
  caBundlePem: string;
  caBundle: CaBundleResult;
}

const enc = encodeURIComponent;
export const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${enc(ns)}/secrets/${enc(name)}`;
export const secretsPath = (ns: string) => `/api/v1/namespaces/${enc(ns)}/secrets`;
export const webhookConfigPath = (name: string) =>
  `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${enc(name)}`;

/** Applies a plan to the decoded data: the certificates the Secret should hold afterwards. */
export function applyPlan(
  plan: CertificatePlan,
  existing: CertificateSecretData | undefined,
  now: Date,
  dnsNames: readonly string[],
  caName: string,
): CertificateSecretData {
  if (plan.action === 'keep') return existing ?? {};
  if (plan.action === 'new-ca') {
    const ca = createCa(now, caName);
    const serving = createServingCertificate(ca, now, dnsNames);
    const previous = existing?.[SECRET_KEYS.caCert];
    return {
      [SECRET_KEYS.caCert]: ca.certPem,
      [SECRET_KEYS.caKey]: ca.keyPem,
      ...(previous ? { [SECRET_KEYS.previousCaCert]: previous } : {}),
      [SECRET_KEYS.cert]: serving.certPem,
      [SECRET_KEYS.key]: serving.keyPem,
    };
  }
  const ca = { certPem: existing?.[SECRET_KEYS.caCert] ?? '', keyPem: existing?.[SECRET_KEYS.caKey] ?? '' };
  const serving = createServingCertificate(ca, now, dnsNames);
  return { ...existing, [SECRET_KEYS.cert]: serving.certPem, [SECRET_KEYS.key]: serving.keyPem };
}

async function readSecret(api: CertApi, ns: string, name: string): Promise<SecretObject | undefined> {
  try {
    return await api.get<SecretObject>(secretPath(ns, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Reads the Secret, renews what the plan says, and writes it back with optimistic concurrency: when two
 * replicas renew at once, one write wins (409 for the other) and the loser re-reads and keeps the winner's.
 */
async function ensureSecret(
  api: CertApi,
  options: WebhookCertOptions,
  now: Date,
  dnsNames: readonly string[],
): Promise<{ plan: CertificatePlan; data: CertificateSecretData }> {
  const { namespace, secretName } = options;
  for (let round = 0; ; round++) {
    const secret = await readSecret(api, namespace, secretName);
    const existing = decodeSecretData(secret);
    const plan = planCertificates(existing, now, dnsNames);
    if (plan.action === 'keep') return { plan, data: existing ?? {} };
    const data = applyPlan(plan, existing, now, dnsNames, `${options.service}-ca`);
    try {
      if (secret) {
        await api.replace(secretPath(namespace, secretName), {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { ...secret.metadata },
          type: secret.type ?? 'Opaque',
          data: { ...secret.data, ...encodeSecretData(data) },
        });
      } else {
        await api.create(secretsPath(namespace), {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/name': 'chainmedic' } },
          type: 'Opaque',
          data: encodeSecretData(data),
        });
      }
      return { plan, data };
    } catch (err) {
      if (round < 3 && (isConflict(err) || isAlreadyExists(err))) continue;
      throw err;
    }
  }
}

interface WebhookConfiguration {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

/** Sets every webhook's caBundle; each replace is guarded by a `test` of that webhook's name. */
async function ensureCaBundle(api: CertApi, webhookName: string, bundlePem: string): Promise<CaBundleResult> {
  let config: WebhookConfiguration;
  try {
    config = await api.get<WebhookConfiguration>(webhookConfigPath(webhookName));
  } catch (err) {
    if (isNotFound(err)) return 'webhook-missing';
    throw err;
  }
  const wanted = Buffer.from(bundlePem, 'utf8').toString('base64');
  const ops = (config.webhooks ?? []).flatMap((webhook, i) =>
    webhook.clientConfig?.caBundle === wanted
      ? []
      : [
          { op: 'test', path: `/webhooks/${i}/name`, value: webhook.name },
          { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: wanted },
        ],
  );
  if (ops.length === 0) return 'unchanged';
  await api.patch(webhookConfigPath(webhookName), JSON_PATCH, ops);
  return 'patched';
}

/**
 * The operator's own CA and serving certificate for the webhook Service, kept in `secretName` in its
 * namespace, and the ValidatingWebhookConfiguration's caBundle kept current. Safe to run on every replica,
 * at start and periodically.
 */
export async function ensureWebhookCertificates(
  api: CertApi,
  options: WebhookCertOptions,
): Promise<WebhookCertResult> {
  const now = (options.now ?? (() => new Date()))();
  const dnsNames = serviceDnsNames(options.service, options.namespace);
  const { plan, data } = await ensureSecret(api, options, now, dnsNames);
  const bundle = caBundle(data, now);
  const bundleResult = await ensureCaBundle(api, options.webhookName, bundle);
  return {
    plan,
    certificate: { certPem: data[SECRET_KEYS.cert] ?? '', keyPem: data[SECRET_KEYS.key] ?? '' },
    caBundlePem: bundle,
    caBundle: bundleResult,
  };
}
