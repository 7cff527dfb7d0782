import { ensureWebhookCertificates, type CertApi } from '../certs/ensure.js';
import { WEBHOOK_CONFIGURATION, WEBHOOK_PORT, WEBHOOK_SECRET, WEBHOOK_SERVICE } from '../certs/names.js';
import { certificateFromDir, refreshCertificates } from '../certs/refresh.js';
import type { AdmissionLookups } from './lookups.js';
import { startWebhookServer, type ServingCertificate, type WebhookServerHandle } from './webhook-server.js';

export type WebhookCertificates =
  | {
      /** The operator keeps its own CA and serving certificate in a Secret and the caBundle current. */
      mode: 'self-managed';
      api: CertApi;
      namespace: string;
      secretName?: string;
      service?: string;
      webhookName?: string;
    }
  | {
      /** cert-manager writes the Secret, mounted at `dir` (tls.crt, tls.key); its cainjector sets the caBundle. */
      mode: 'cert-manager';
      dir: string;
    };

export interface StartAdmissionOptions {
  /** Default 9443. */
  port?: number;
  host?: string;
  lookups: AdmissionLookups;
  certificates: WebhookCertificates;
  /** How often certificates are re-checked: default hourly (self-managed), every minute (cert-manager). */
  refreshIntervalMs?: number;
  /** A refresh that failed (the old certificate stays in use) or a request that threw. */
  onError?: (err: unknown) => void;
  /** A new certificate is being served. */
  onCertificateChanged?: (certificate: ServingCertificate) => void;
}

export interface AdmissionHandle {
  port: number;
  /** Re-check the certificates now. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole webhook in one call: obtain the serving certificate, serve /validate over TLS, and keep the
 * certificate current without restarts. Throws when the first certificate cannot be obtained; the webhook
 * fails open (failurePolicy Ignore), so the caller should log that and carry on without it.
 */
export async function startAdmissionWebhook(options: StartAdmissionOptions): Promise<AdmissionHandle> {
  const certs = options.certificates;
  const load: () => Promise<ServingCertificate> =
    certs.mode === 'cert-manager'
      ? () => certificateFromDir(certs.dir)
      : async () =>
          (
            await ensureWebhookCertificates(certs.api, {
              namespace: certs.namespace,
              secretName: certs.secretName ?? WEBHOOK_SECRET,
              service: certs.service ?? WEBHOOK_SERVICE,
              webhookName: certs.webhookName ?? WEBHOOK_CONFIGURATION,
            })
          ).certificate;
  const initial = await load();
  const server: WebhookServerHandle = await startWebhookServer({
    port: options.port ?? WEBHOOK_PORT,
    ...(options.host ? { host: options.host } : {}),
    certificate: initial,
    lookups: options.lookups,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const refresher = refreshCertificates(initial, {
    load,
    onChange: (certificate) => {
      server.setCertificate(certificate);
      options.onCertificateChanged?.(certificate);
    },
    intervalMs: options.refreshIntervalMs ?? (certs.mode === 'cert-manager' ? 60_000 : 3_600_000),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return {
    port: server.port,
    refresh: () => refresher.refresh(),
    close: async () => {
      refresher.stop();
      await server.close();
    },
  };
}
