import { agentResultSchema, probeResultSchema, type ProbeResult } from '../agent/result.js';
import { describeVersionMismatch } from '../agent/versions.js';
import type { ProbeSummary } from '../api/index.js';
import type { JobReport } from './types.js';

export type ParsedReport = { ok: true; report: JobReport } | { ok: false; error: string };

function summarize(probe: ProbeResult): ProbeSummary {
  const mismatch = probe.versions?.mismatch ? describeVersionMismatch(probe.versions) : null;
  return {
    verdict: probe.verdict,
    ...(probe.backend ? { backend: probe.backend } : {}),
    ...(probe.azureNpmWouldFind ? { azureNpmWouldFind: probe.azureNpmWouldFind } : {}),
    ...(mismatch ? { iptablesVersionMismatch: mismatch.slice(0, 1024) } : {}),
  };
}

/**
 * Reads the agent's JSON from a Job pod's termination message. With FallbackToLogsOnError the message may be
 * the log tail (human lines on stderr, the JSON on its own line), so the last line that parses wins.
 */
export function parseJobReport(message: string | undefined, dryRun: boolean): ParsedReport {
  if (!message || message.trim() === '') return { ok: false, error: 'the Job left no termination message' };
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'))
    .reverse();
  let lastError = 'no JSON object in the termination message';
  for (const line of lines) {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      lastError = 'the termination message is not valid JSON (truncated?)';
      continue;
    }
    if (dryRun) {
      const probe = probeResultSchema.safeParse(json);
      if (probe.success) return { ok: true, report: { kind: 'probe', probe: summarize(probe.data) } };
      lastError = `not a probe result: ${probe.error.issues[0]?.message ?? 'schema mismatch'}`;
      continue;
    }
    const result = agentResultSchema.safeParse(json);
    if (result.success) {
      const r = result.data;
      return {
        ok: true,
        report: {
          kind: 'remediate',
          outcome: r.outcome,
          before: summarize(r.before),
          ...(r.after ? { after: summarize(r.after) } : {}),
          kubeletRestarted: r.kubeletRestarted,
          ...(r.cause ? { cause: r.cause } : {}),
        },
      };
    }
    lastError = `not an agent result: ${result.error.issues[0]?.message ?? 'schema mismatch'}`;
  }
  return { ok: false, error: lastError };
}
