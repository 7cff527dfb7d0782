import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServingCertificate } from '../admission/webhook-server.js';

/** cert-manager mode: the Secret it writes is mounted here (tls.crt, tls.key). */
export async function certificateFromDir(dir: string): Promise<ServingCertificate> {
  const [certPem, keyPem] = await Promise.all([
    readFile(join(dir, 'tls.crt'), 'utf8'),
    readFile(join(dir, 'tls.key'), 'utf8'),
  ]);
  return { certPem, keyPem };
}

export interface RefreshOptions {
  /** Returns the certificate to serve now (ensureWebhookCertificates, or certificateFromDir). */
  load: () => Promise<ServingCertificate>;
  /** Called when the loaded certificate differs from the last one (e.g. webhook.setCertificate). */
  onChange: (certificate: ServingCertificate) => void;
  /** Self-managed: hourly is plenty for a 1-year certificate renewed at 8 months. */
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

export interface Refresher {
  /** Loads once now (also what the timer does). */
  refresh(): Promise<void>;
  stop(): void;
}

/** Re-loads the certificate periodically and hands over a changed one; a failed load keeps the old one. */
export function refreshCertificates(initial: ServingCertificate, options: RefreshOptions): Refresher {
  let current = initial;
  let running: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    running ??= (async () => {
      try {
        const next = await options.load();
        if (
          next.certPem &&
          next.keyPem &&
          (next.certPem !== current.certPem || next.keyPem !== current.keyPem)
        ) {
          current = next;
          options.onChange(next);
        }
      } catch (err) {
        options.onError?.(err);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void refresh(), options.intervalMs ?? 3_600_000);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
