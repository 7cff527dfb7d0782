import { createHash } from 'node:crypto';

/** Longest Kubernetes label value, and the longest Job name whose pods still get a valid job-name label. */
export const MAX_LABEL_VALUE = 63;

function shortHash(input: string, length: number): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/** Lower-cases, replaces what DNS-1123 does not allow, and trims non-alphanumerics from both ends. */
function dnsSafe(input: string): string {
  return input
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[^a-z0-9]+$/, '');
}

/** `prefix-hash`, the prefix truncated so the whole fits in `max` characters. */
function withHash(prefix: string, hashInput: string, max: number, hashLength = 10): string {
  const hash = shortHash(hashInput, hashLength);
  const room = max - hash.length - 1;
  const head = dnsSafe(prefix.slice(0, room));
  return head ? `${head}-${hash}` : hash;
}

/**
 * One NodeRemediation per episode: the same crash-looping pod (uid) on the same node always maps to the same
 * name, so a second detection's create gets AlreadyExists. At most 63 characters so it can be a label value.
 */
export function remediationName(nodeName: string, podUid: string): string {
  return withHash(nodeName, `${nodeName}/${podUid}`, MAX_LABEL_VALUE);
}

/** The Job of one attempt: `<remediation>-<attempt>`, or truncated + hashed to stay within 63 characters. */
export function jobNameFor(remediation: string, attempt: number): string {
  const plain = `${remediation}-${attempt}`;
  if (plain.length <= MAX_LABEL_VALUE && dnsSafe(plain) === plain) return plain;
  const suffix = `-${attempt}`;
  return `${withHash(remediation, remediation, MAX_LABEL_VALUE - suffix.length, 8)}${suffix}`;
}

/** A valid label value for any name: itself when it fits, else truncated + hashed. */
export function labelValue(name: string): string {
  if (name.length <= MAX_LABEL_VALUE && /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) return name;
  return withHash(name, name, MAX_LABEL_VALUE, 8);
}

/**
 * A probe Job: one name per node and occasion (`key`: the kubelet start, boot or audit round it is for), so a
 * leader that crashed after creating it gets AlreadyExists instead of a second probe.
 */
export function probeJobName(nodeName: string, key: string): string {
  return withHash(`probe-${nodeName}`, `${nodeName}/${key}`, MAX_LABEL_VALUE);
}
