import { buildAgentJob } from '../../src/remediation/job.js';
import { isProbeJob, observeJob, type JobLike } from '../../src/remediation/observe-job.js';

const input = {
  remediation: { name: 'nr', uid: 'u' },
  nodeName: 'node-a',
  attempt: 1,
  namespace: 'ns',
  image: 'img',
  timeoutSeconds: 300,
  agentWaitSeconds: 90,
  ttlAfterFinishedSeconds: 3600,
};
const remediateJob = buildAgentJob({ ...input, dryRun: false });
const probeJob = buildAgentJob({ ...input, dryRun: true });

const probe = (verdict: string) => ({ schemaVersion: 1, verdict, backend: null, checks: [], ipv6: null });
const result = {
  schemaVersion: 1,
  outcome: 'ChainsStillMissing',
  message: 'm',
  unit: 'kubelet.service',
  before: probe('missing'),
  after: probe('missing'),
  kubeletRestarted: true,
  evidence: null,
  cause: null,
  durationMs: 5,
  truncated: false,
};
const terminatedPod = (message: string | undefined, exitCode: number) => ({
  status: {
    containerStatuses: [
      { name: 'agent', state: { terminated: { exitCode, ...(message ? { message } : {}) } } },
    ],
  },
});
const withStatus = (job: object, status: JobLike['status']): JobLike => ({ ...(job as JobLike), status });

describe('observeJob', () => {
  it('a Job without a finished pod is running', () => {
    expect(observeJob(withStatus(remediateJob, { active: 1 } as never))).toEqual({
      name: 'nr-1',
      state: 'running',
    });
  });

  it('a failed Job with the agent result in the termination message', () => {
    const observed = observeJob(
      withStatus(remediateJob, { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] }),
      terminatedPod(JSON.stringify(result), 3),
    );
    expect(observed).toEqual({
      name: 'nr-1',
      state: 'failed',
      report: {
        kind: 'remediate',
        outcome: 'ChainsStillMissing',
        before: { verdict: 'missing' },
        after: { verdict: 'missing' },
        kubeletRestarted: true,
      },
      exitCode: 3,
    });
  });

  it('a Job that failed before its pod ran (deadline) has no report and says why', () => {
    const observed = observeJob(
      withStatus(remediateJob, { conditions: [{ type: 'Failed', status: 'True' }] }),
    );
    expect(observed).toMatchObject({
      state: 'failed',
      report: null,
      reportError: expect.stringMatching(/no termination/),
    });
  });

  it('a dry-run Job is parsed as a probe', () => {
    expect(isProbeJob(probeJob)).toBe(true);
    expect(isProbeJob(remediateJob)).toBe(false);
    const observed = observeJob(
      withStatus(probeJob, { succeeded: 1 }),
      terminatedPod(JSON.stringify(probe('present')), 0),
    );
    expect(observed).toMatchObject({
      state: 'succeeded',
      report: { kind: 'probe', probe: { verdict: 'present' } },
      exitCode: 0,
    });
  });
});
