import { parseJobReport } from './agent-report.js';
import { AGENT_CONTAINER } from './job.js';
import type { ObservedJob } from './types.js';

/** The parts of a batch/v1 Job the operator reads (a V1Job fits). */
export interface JobLike {
  metadata?: { name?: string };
  spec?: { template?: { spec?: { containers?: { name: string; args?: string[] }[] } } };
  status?: { succeeded?: number; failed?: number; conditions?: { type: string; status: string }[] };
}

/** The Job's pod, for the agent container's termination message and exit code. */
export interface AgentPodLike {
  status?: {
    containerStatuses?: {
      name: string;
      state?: { terminated?: { exitCode?: number; message?: string } };
    }[];
  };
}

function condition(job: JobLike, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** A probe-only (dry-run) Job, recognized from its own command line. */
export function isProbeJob(job: JobLike): boolean {
  const agent = job.spec?.template?.spec?.containers?.find((c) => c.name === AGENT_CONTAINER);
  return agent?.args?.[1] === 'probe';
}

/**
 * Turns a Job (and its pod, once it terminated) into what `decide` reads. A Job is finished when its
 * Complete/Failed condition is True or it counts a succeeded/failed pod (backoffLimit is 0).
 */
export function observeJob(job: JobLike, pod?: AgentPodLike): ObservedJob {
  const name = job.metadata?.name ?? '';
  const failed = condition(job, 'Failed') || (job.status?.failed ?? 0) > 0;
  const succeeded = !failed && (condition(job, 'Complete') || (job.status?.succeeded ?? 0) > 0);
  if (!failed && !succeeded) return { name, state: 'running' };
  const terminated = pod?.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER)?.state
    ?.terminated;
  const parsed = parseJobReport(terminated?.message, isProbeJob(job));
  return {
    name,
    state: failed ? 'failed' : 'succeeded',
    report: parsed.ok ? parsed.report : null,
    ...(parsed.ok ? {} : { reportError: parsed.error }),
    ...(terminated?.exitCode !== undefined ? { exitCode: terminated.exitCode } : {}),
  };
}
