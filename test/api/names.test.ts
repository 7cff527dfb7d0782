import { jobNameFor, labelValue, remediationName } from '../../src/api/names.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

describe('remediationName', () => {
  it('is deterministic per (node, pod uid): two detections of one crash loop collide', () => {
    expect(remediationName('node-a', 'uid-1')).toBe(remediationName('node-a', 'uid-1'));
    expect(remediationName('node-a', 'uid-1')).not.toBe(remediationName('node-a', 'uid-2'));
    expect(remediationName('node-a', 'uid-1')).not.toBe(remediationName('node-b', 'uid-1'));
  });

  it.each([
    'node-a',
    'aks-nodepool1-12345678-vmss000000',
    `${'x'.repeat(250)}.example`,
    'Node.With.UPPER',
    '-.-weird-.',
  ])('is DNS-safe and at most 63 characters for %j', (node) => {
    const name = remediationName(node, 'a-uid');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(DNS_SUBDOMAIN);
  });

  it('starts with the node name when it fits', () => {
    expect(remediationName('node-a', 'u')).toMatch(/^node-a-[0-9a-f]{10}$/);
  });
});

describe('jobNameFor', () => {
  it('is <remediation>-<attempt> when short', () => {
    expect(jobNameFor('node-a-0123456789', 3)).toBe('node-a-0123456789-3');
  });

  it('hashes a long name and keeps distinct remediations distinct', () => {
    const a = jobNameFor(`${'a'.repeat(70)}1`, 1);
    const b = jobNameFor(`${'a'.repeat(70)}2`, 1);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/-1$/);
  });
});

describe('labelValue', () => {
  it.each(['node-a', 'x'.repeat(100), 'a.b_c-d', '..bad..'])('is a valid label value for %j', (input) => {
    const value = labelValue(input);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
  });
});
