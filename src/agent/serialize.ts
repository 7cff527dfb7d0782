import type { AgentResult, Evidence, FamilyProbe, ProbeResult } from './result.js';

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

const withoutStderr = (family: FamilyProbe): FamilyProbe => ({
  ...family,
  checks: family.checks.map((c) => ({ ...c, stderr: '' })),
});

/**
 * Ever smaller versions of a result: evidence goes first, then stderr excerpts, then the
 * check lists; the outcome, the verdicts and the cause are never dropped.
 */
const STEPS: Step[] = [
  shortLines(100),
  (r) => mapEvidence(r, (e) => ({ ...e, errors: e.errors.map((x) => cut(x, 80)) })),
  (r) => mapEvidence(r, (e) => ({ ...e, initLines: e.initLines.slice(-2) })),
  (r) => mapEvidence(r, (e) => ({ ...e, initLines: [], errors: e.errors.slice(0, 2) })),
  (r) => mapEvidence(r, (e) => ({ ...e, errors: [] })),
  (r) => mapProbes(r, (p) => ({ ...p, ...withoutStderr(p), ipv6: p.ipv6 ? withoutStderr(p.ipv6) : null })),
  (r) => mapProbes(r, (p) => ({ ...p, ipv6: p.ipv6 ? { ...p.ipv6, checks: [] } : null })),
  (r) => mapProbes(r, (p) => ({ ...p, checks: [] })),
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

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
