/** Pure builders of batch/v1 Job status as the Job controller (Kubernetes 1.31+) writes it. */

export interface JobCounts {
  startTime: string;
  active: number;
  succeeded: number;
  failed: number;
}

const condition = (type: string, at: string, reason: string, message: string) => ({
  type,
  status: 'True',
  lastProbeTime: at,
  lastTransitionTime: at,
  reason,
  message,
});

function counts(c: JobCounts): Record<string, unknown> {
  return {
    startTime: c.startTime,
    ...(c.active > 0 ? { active: c.active } : {}),
    ...(c.succeeded > 0 ? { succeeded: c.succeeded } : {}),
    ...(c.failed > 0 ? { failed: c.failed } : {}),
    ready: 0,
    terminating: 0,
    uncountedTerminatedPods: {},
  };
}

export function runningJobStatus(c: JobCounts): Record<string, unknown> {
  return counts(c);
}

const COMPLETE_MESSAGE = 'Reached expected number of succeeded pods';

/** The success criteria are met; `Complete` follows once no pod of the Job runs (`at` of the target kept). */
export function successTargetJobStatus(c: JobCounts, at: string): Record<string, unknown> {
  return {
    ...counts(c),
    conditions: [condition('SuccessCriteriaMet', at, 'CompletionsReached', COMPLETE_MESSAGE)],
  };
}

export function completeJobStatus(c: JobCounts, at: string, targetAt = at): Record<string, unknown> {
  return {
    ...counts(c),
    completionTime: at,
    conditions: [
      condition('SuccessCriteriaMet', targetAt, 'CompletionsReached', COMPLETE_MESSAGE),
      condition('Complete', at, 'CompletionsReached', COMPLETE_MESSAGE),
    ],
  };
}

export type JobFailureReason = 'BackoffLimitExceeded' | 'DeadlineExceeded';

const FAILURE_MESSAGES: Record<JobFailureReason, string> = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
};

/** The Job will fail: its running pods are being deleted; `Failed` follows once none runs. */
export function failureTargetJobStatus(
  c: JobCounts,
  at: string,
  reason: JobFailureReason,
): Record<string, unknown> {
  return { ...counts(c), conditions: [condition('FailureTarget', at, reason, FAILURE_MESSAGES[reason])] };
}

export function failedJobStatus(
  c: JobCounts,
  at: string,
  reason: JobFailureReason,
  targetAt = at,
): Record<string, unknown> {
  const message = FAILURE_MESSAGES[reason];
  return {
    ...counts(c),
    conditions: [
      condition('FailureTarget', targetAt, reason, message),
      condition('Failed', at, reason, message),
    ],
  };
}

export const jobFailureMessage = (reason: JobFailureReason): string => FAILURE_MESSAGES[reason];

/** The Job controller's delay before replacing a failed pod: 10 s doubling, capped at 6 minutes. */
export function jobRetryDelayMs(failures: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, failures - 1), 360_000);
}
