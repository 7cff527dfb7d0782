import { X509Certificate } from 'node:crypto';
import {
  createCa,
  createServingCertificate,
  DAY_MS,
  type KeyAndCert,
} from '../../src/server/certs/generate.js';
import { serviceDnsNames } from '../../src/server/certs/names.js';
import {
  planCertificates,
  type CertificatePlan,
  type CertificateSecretData,
} from '../../src/server/certs/plan.js';

const T0 = new Date('2026-11-24T12:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY_MS);
const NAMES = serviceDnsNames('chainmedic-operator', 'chainmedic-system');

const reasonOf = (plan: CertificatePlan) => ('reason' in plan ? plan.reason : undefined);

let ca: KeyAndCert;
let serving: KeyAndCert;
let otherCa: KeyAndCert;

beforeAll(() => {
  ca = createCa(T0, 'chainmedic-operator-ca');
  serving = createServingCertificate(ca, T0, NAMES);
  otherCa = createCa(T0, 'someone-else');
});

const data = (over: Partial<Record<string, string>> = {}): CertificateSecretData => ({
  'ca.crt': ca.certPem,
  'ca.key': ca.keyPem,
  'tls.crt': serving.certPem,
  'tls.key': serving.keyPem,
  ...over,
});

test('generated certificates: a CA and a serving certificate for both Service names, chained', () => {
  const caCert = new X509Certificate(ca.certPem);
  const cert = new X509Certificate(serving.certPem);
  expect(caCert.ca).toBe(true);
  expect(cert.ca).toBe(false);
  expect(cert.subjectAltName).toBe(
    'DNS:chainmedic-operator.chainmedic-system.svc, DNS:chainmedic-operator.chainmedic-system.svc.cluster.local',
  );
  expect(cert.checkIssued(caCert)).toBe(true);
  expect(cert.verify(caCert.publicKey)).toBe(true);
  expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  const days = (c: X509Certificate) => (Date.parse(c.validTo) - T0.getTime()) / DAY_MS;
  expect(Math.round(days(cert))).toBe(365);
  expect(Math.round(days(caCert))).toBe(3650);
  expect(Date.parse(cert.validFrom)).toBeLessThan(T0.getTime());
});

test('nothing yet, or an unusable CA: a new CA', () => {
  expect(planCertificates(undefined, T0, NAMES)).toEqual({ action: 'new-ca', reason: 'no CA yet' });
  expect(planCertificates({}, T0, NAMES).action).toBe('new-ca');
  expect(planCertificates(data({ 'ca.crt': 'garbage' }), T0, NAMES)).toEqual({
    action: 'new-ca',
    reason: 'the CA is unreadable',
  });
  expect(planCertificates(data({ 'ca.key': otherCa.keyPem }), T0, NAMES)).toEqual({
    action: 'new-ca',
    reason: 'ca.key does not match ca.crt',
  });
  expect(
    reasonOf(planCertificates(data({ 'ca.crt': serving.certPem, 'ca.key': serving.keyPem }), T0, NAMES)),
  ).toBe('ca.crt is not a CA certificate');
});

test('a fresh pair is kept, also up to two thirds of the serving certificate life', () => {
  expect(planCertificates(data(), T0, NAMES)).toEqual({ action: 'keep' });
  expect(planCertificates(data(), at(240), NAMES)).toEqual({ action: 'keep' });
});

test('the serving certificate is renewed at two thirds of its life and when expired', () => {
  expect(planCertificates(data(), at(245), NAMES)).toEqual({
    action: 'renew-serving',
    reason: 'the serving certificate is past 67% of its life',
  });
  expect(reasonOf(planCertificates(data(), at(400), NAMES))).toMatch(
    /^the serving certificate is expired at /,
  );
});

test('the CA is replaced at two thirds of its life', () => {
  expect(planCertificates(data(), at(2500), NAMES)).toEqual({
    action: 'new-ca',
    reason: 'the CA is past 67% of its life',
  });
});

test('a serving certificate that does not fit is renewed', () => {
  const foreign = createServingCertificate(otherCa, T0, NAMES);
  expect(
    planCertificates(data({ 'tls.crt': foreign.certPem, 'tls.key': foreign.keyPem }), T0, NAMES),
  ).toEqual({
    action: 'renew-serving',
    reason: 'the serving certificate is not signed by the CA',
  });
  expect(reasonOf(planCertificates(data({ 'tls.key': ca.keyPem }), T0, NAMES))).toBe(
    'tls.key does not match tls.crt',
  );
  expect(reasonOf(planCertificates(data({ 'tls.crt': undefined }), T0, NAMES))).toBe(
    'no readable serving certificate',
  );
  const otherNames = serviceDnsNames('chainmedic-operator', 'elsewhere');
  expect(reasonOf(planCertificates(data(), T0, otherNames))).toBe(
    'the serving certificate lacks chainmedic-operator.elsewhere.svc, chainmedic-operator.elsewhere.svc.cluster.local',
  );
  expect(planCertificates(data(), new Date(T0.getTime() - DAY_MS), NAMES).action).toBe('new-ca');
});
