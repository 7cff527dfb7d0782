import { X509Certificate } from 'node:crypto';
import { SECRET_KEYS } from './names.js';
import type { CertificateSecretData } from './plan.js';

export interface SecretObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

const KNOWN = Object.values(SECRET_KEYS);

export function decodeSecretData(secret: SecretObject | undefined): CertificateSecretData | undefined {
  if (!secret?.data) return undefined;
  const out: CertificateSecretData = {};
  for (const key of KNOWN) {
    const value = secret.data[key];
    if (value) out[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function encodeSecretData(data: CertificateSecretData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of KNOWN) {
    const value = data[key];
    if (value) out[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  return out;
}

/** The PEM bundle clients trust: the current CA, plus the previous one while it is still valid. */
export function caBundle(data: CertificateSecretData, now: Date): string {
  const current = data[SECRET_KEYS.caCert] ?? '';
  const previous = data[SECRET_KEYS.previousCaCert];
  if (!previous) return current;
  try {
    if (Date.parse(new X509Certificate(previous).validTo) <= now.getTime()) return current;
  } catch {
    return current;
  }
  return `${current.trimEnd()}\n${previous.trimEnd()}\n`;
}
