import type { AgentResult, BinaryVersion, Evidence, FamilyProbe, ProbeResult } from './result.js';

/** Kubernetes keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

type Step = (r: AgentResult) => AgentResult;

const mapProbes = (r: AgentResult, f: (p: ProbeResult) => ProbeResult): AgentResult => ({
  ...r,
  before: f(r.before),
  after: r.after ? f(r.after) : null,
});

const mapEvidence = (r: AgentResult, f: (e: Evidence) => Evidence): AgentResult => ({
  ...r,
  evidence: r.evidence ? f(r.evidence) : null,
});

const shortLines =
  (max: number): Step =>
  (r) =>
    mapEvidence(r, (e) => ({ ...e, initLines: e.initLines.map((l) => ({ ...l, line: cut(l.line, max) })) }));

type ProbeStep = (p: ProbeResult) => ProbeResult;

const withoutStderr = (family: FamilyProbe): FamilyProbe => ({
  ...family,
  checks: family.checks.map((c) => ({ ...c, stderr: '' })),
});

/** Version errors shortened (max chars) or emptied; the versions, modes and the mismatch flag stay. */
const versionErrors =
  (max: number): ProbeStep =>
  (p) => {
    if (!p.versions) return p;
    const trim = (v: BinaryVersion): BinaryVersion => ({
      ...v,
      error: v.error === null ? null : max === 0 ? '' : cut(v.error, max),
    });
    return {
      ...p,
      versions: { ...p.versions, container: p.versions.container.map(trim), host: p.versions.host.map(trim) },
    };
  };

const probeWithoutStderr: ProbeStep = (p) => ({
  ...p,
  ...withoutStderr(p),
  ipv6: p.ipv6 ? withoutStderr(p.ipv6) : null,
});
const withoutIpv6Checks: ProbeStep = (p) => ({ ...p, ipv6: p.ipv6 ? { ...p.ipv6, checks: [] } : null });
const withoutChecks: ProbeStep = (p) => ({ ...p, checks: [] });

/**
 * Ever smaller versions of a result: evidence goes first, then stderr excerpts and version
 * errors, then the check lists; the outcome, the verdicts, azure-npm's decision, the version
 * mismatch flag and the cause are never dropped.
 */
const STEPS: Step[] = [
  shortLines(100),
  (r) => mapProbes(r, versionErrors(40)),
  (r) => mapEvidence(r, (e) => ({ ...e, errors: e.errors.map((x) => cut(x, 80)) })),
  (r) => mapEvidence(r, (e) => ({ ...e, initLines: e.initLines.slice(-2) })),
  (r) => mapEvidence(r, (e) => ({ ...e, initLines: [], errors: e.errors.slice(0, 2) })),
  (r) => mapEvidence(r, (e) => ({ ...e, errors: [] })),
  (r) => mapProbes(r, probeWithoutStderr),
  (r) => mapProbes(r, versionErrors(0)),
  (r) => mapProbes(r, withoutIpv6Checks),
  (r) => mapProbes(r, withoutChecks),
  (r) => ({ ...r, message: cut(r.message, 200) }),
];

/** Compact JSON of at most `limit` bytes (UTF-8), trimmed step by step; `truncated` says if anything went. */
export function serializeResult(result: AgentResult, limit = TERMINATION_MESSAGE_LIMIT): string {
  let current = result;
  let text = JSON.stringify(current);
  for (const step of STEPS) {
    if (Buffer.byteLength(text, 'utf8') <= limit) return text;
    current = { ...step(current), truncated: true };
    text = JSON.stringify(current);
  }
  if (Buffer.byteLength(text, 'utf8') <= limit) return text;
  // Only a pathological unit name or message can get here; keep the outcome above all.
  return JSON.stringify({
    schemaVersion: result.schemaVersion,
    outcome: result.outcome,
    truncated: true,
  });
}

/** The same order for `agent probe`: what is left at the end (verdicts, decisions, versions) is far below the limit. */
const PROBE_STEPS: ProbeStep[] = [
  versionErrors(40),
  probeWithoutStderr,
  versionErrors(0),
  withoutIpv6Checks,
  withoutChecks,
];

/** `agent probe`'s JSON in at most `limit` bytes (UTF-8); `truncated` is set if anything went. */
export function serializeProbe(result: ProbeResult, limit = TERMINATION_MESSAGE_LIMIT): string {
  let text = JSON.stringify(result);
  let current = result;
  for (const step of PROBE_STEPS) {
    if (Buffer.byteLength(text, 'utf8') <= limit) return text;
    current = { ...step(current), truncated: true };
    text = JSON.stringify(current);
  }
  return text;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
