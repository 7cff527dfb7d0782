import { constants, generateKeyPairSync, privateEncrypt, randomBytes } from 'node:crypto';
import forge from 'node-forge';

const { pki } = forge;

export interface KeyAndCert {
  certPem: string;
  keyPem: string;
}

export const DAY_MS = 24 * 3_600_000;
export const CA_VALIDITY_DAYS = 3650;
export const SERVING_VALIDITY_DAYS = 365;
/** notBefore is backdated a little so a replica whose clock runs behind still accepts the certificate. */
const BACKDATE_MS = 5 * 60_000;

/** A positive serial of 16 random bytes (the high bit cleared so DER does not read it as negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

interface KeyPair {
  publicKey: forge.pki.PublicKey;
  /** PKCS#8 PEM: Node's TLS and crypto read it as is. */
  privateKeyPem: string;
}

/**
 * Keys and signatures use Node's native crypto; node-forge builds the certificate structure. Forge's own
 * RSA falls back to pure JavaScript (seconds per key or signature) wherever it does not detect Node's crypto,
 * e.g. inside test sandboxes.
 */
function rsaKeyPair(): KeyPair {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: pki.publicKeyFromPem(pair.publicKey), privateKeyPem: pair.privateKey };
}

/** DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017, section 9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** What `Certificate.sign` needs from a key: a PKCS#1 v1.5 signature of the digest, as a binary string. */
function nativeSigner(privateKeyPem: string): forge.pki.rsa.PrivateKey {
  const signer = {
    sign: (md: forge.md.MessageDigest) => {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      const signature = privateEncrypt(
        { key: privateKeyPem, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([SHA256_DIGEST_INFO, digest]),
      );
      return signature.toString('binary');
    },
  };
  return signer as unknown as forge.pki.rsa.PrivateKey;
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

/** A self-signed CA (RSA 2048, SHA-256) that signs only the webhook's serving certificates. */
export function createCa(now: Date, commonName: string, days = CA_VALIDITY_DAYS): KeyAndCert {
  const keys = rsaKeyPair();
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, now, days);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(nativeSigner(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** A serving certificate for `dnsNames` (the first is the common name), signed by `ca`. */
export function createServingCertificate(
  ca: KeyAndCert,
  now: Date,
  dnsNames: readonly string[],
  days = SERVING_VALIDITY_DAYS,
): KeyAndCert {
  if (dnsNames.length === 0) throw new RangeError('a serving certificate needs at least one DNS name');
  const caCert = pki.certificateFromPem(ca.certPem);
  const keys = rsaKeyPair();
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, now, days);
  cert.setSubject([{ name: 'commonName', value: dnsNames[0] as string }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: dnsNames.map((value) => ({ type: 2, value })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(nativeSigner(ca.keyPem), forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
