import { createPrivateKey, X509Certificate } from 'node:crypto';
import { SECRET_KEYS } from './names.js';

export type CertificatePlan =
  { action: 'keep' } | { action: 'renew-serving'; reason: string } | { action: 'new-ca'; reason: string };

/** The Secret's data decoded to text (PEM); absent keys are undefined. */
export type CertificateSecretData = Partial<Record<(typeof SECRET_KEYS)[keyof typeof SECRET_KEYS], string>>;

/**
 * Renew at this fraction of a certificate's life: a 1-year serving certificate is replaced after 8 months, a
 * 10-year CA after 6.7 years, long before anything expires even if the operator was down for weeks.
 */
export const RENEW_AT_FRACTION = 2 / 3;

function parse(pem: string | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function keyMatches(cert: X509Certificate, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Why the certificate's validity calls for a renewal at `now`, or undefined when it is fine. */
function lifeProblem(cert: X509Certificate, now: Date): string | undefined {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const t = now.getTime();
  if (t < from) return `not valid before ${cert.validFrom}`;
  if (t >= to) return `expired at ${cert.validTo}`;
  if (t >= from + (to - from) * RENEW_AT_FRACTION)
    return `past ${Math.round(RENEW_AT_FRACTION * 100)}% of its life`;
  return undefined;
}

function dnsNamesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}

/**
 * Pure: what to do with the certificates found in the Secret (undefined: no Secret or an empty one). A broken
 * or aging CA means a new CA (and so a new serving certificate); otherwise a serving certificate that is
 * missing, not signed by this CA, not matching its key, missing a DNS name, or aging is renewed.
 */
export function planCertificates(
  existing: CertificateSecretData | undefined,
  now: Date,
  dnsNames: readonly string[],
): CertificatePlan {
  const ca = parse(existing?.[SECRET_KEYS.caCert]);
  if (!ca)
    return {
      action: 'new-ca',
      reason: existing?.[SECRET_KEYS.caCert] ? 'the CA is unreadable' : 'no CA yet',
    };
  if (!ca.ca) return { action: 'new-ca', reason: 'ca.crt is not a CA certificate' };
  if (!keyMatches(ca, existing?.[SECRET_KEYS.caKey]))
    return { action: 'new-ca', reason: 'ca.key does not match ca.crt' };
  const caProblem = lifeProblem(ca, now);
  if (caProblem) return { action: 'new-ca', reason: `the CA is ${caProblem}` };

  const cert = parse(existing?.[SECRET_KEYS.cert]);
  if (!cert) return { action: 'renew-serving', reason: 'no readable serving certificate' };
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    return { action: 'renew-serving', reason: 'the serving certificate is not signed by the CA' };
  }
  if (!keyMatches(cert, existing?.[SECRET_KEYS.key])) {
    return { action: 'renew-serving', reason: 'tls.key does not match tls.crt' };
  }
  const names = dnsNamesOf(cert);
  const missing = dnsNames.filter((n) => !names.includes(n));
  if (missing.length > 0)
    return { action: 'renew-serving', reason: `the serving certificate lacks ${missing.join(', ')}` };
  const certProblem = lifeProblem(cert, now);
  if (certProblem) return { action: 'renew-serving', reason: `the serving certificate is ${certProblem}` };
  return { action: 'keep' };
}
