import { Job } from 'kubernetes-models/batch/v1/Job';
import { Pod } from 'kubernetes-models/v1/Pod';
import { admissionPodFor, buildAgentJob, type AgentJobInput } from '../../src/remediation/job.js';

const base: AgentJobInput = {
  remediation: { name: 'node-a-0123456789', uid: 'nr-uid' },
  nodeName: 'node-a',
  attempt: 2,
  dryRun: false,
  namespace: 'chainmedic-agent',
  image: 'chainmedic:test',
  timeoutSeconds: 300,
  agentWaitSeconds: 90,
  ttlAfterFinishedSeconds: 3600,
};

describe('buildAgentJob', () => {
  it('builds the privileged, node-pinned, one-shot Job', () => {
    const job = buildAgentJob(base);
    const pod = job.spec.template.spec;
    expect(job.metadata).toEqual({
      name: 'node-a-0123456789-2',
      namespace: 'chainmedic-agent',
      labels: {
        'app.kubernetes.io/name': 'chainmedic',
        'chainmedic.io/remediation': 'node-a-0123456789',
        'chainmedic.io/node': 'node-a',
      },
      ownerReferences: [
        {
          apiVersion: 'chainmedic.io/v1alpha1',
          kind: 'NodeRemediation',
          name: 'node-a-0123456789',
          uid: 'nr-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 300,
      ttlSecondsAfterFinished: 3600,
    });
    expect(pod).toMatchObject({
      nodeName: 'node-a',
      restartPolicy: 'Never',
      serviceAccountName: 'chainmedic-agent',
      automountServiceAccountToken: false,
      hostNetwork: true,
      hostPID: true,
      priorityClassName: 'system-node-critical',
      tolerations: [{ operator: 'Exists' }],
    });
    const [container] = pod.containers;
    expect(container).toMatchObject({
      image: 'chainmedic:test',
      command: ['chainmedic'],
      args: [
        'agent',
        'remediate',
        '--host',
        'nsenter',
        '--kubelet-unit',
        'kubelet.service',
        '--wait-seconds',
        '90',
      ],
      securityContext: { privileged: true },
      terminationMessagePolicy: 'FallbackToLogsOnError',
    });
  });

  it('is a valid batch/v1 Job', () => {
    expect(() => new Job(buildAgentJob(base) as never).validate()).not.toThrow();
  });

  it.each([
    ['remediate', false],
    ['probe (dry run)', true],
  ])(
    "mounts the host's /run/xtables.lock, so iptables -w waits on the node's real lock (%s)",
    (_what, dryRun) => {
      const pod = buildAgentJob({ ...base, dryRun }).spec.template.spec;
      // As azure-npm and kube-proxy mount it: the host's file (created if nothing has taken the lock yet).
      expect(pod.volumes).toEqual([
        { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
      ]);
      expect(pod.containers).toHaveLength(1);
      expect(pod.containers[0]!.volumeMounts).toEqual([
        { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
      ]);
    },
  );

  it('dry run only probes', () => {
    expect(buildAgentJob({ ...base, dryRun: true }).spec.template.spec.containers[0]?.args).toEqual([
      'agent',
      'probe',
      '--json',
    ]);
  });

  it('puts nothing from the node or the remediation into the command line', () => {
    const hostile = '$(reboot);`id`';
    const job = buildAgentJob({
      ...base,
      nodeName: `node-${hostile}`,
      remediation: { name: `nr-${hostile}`, uid: 'u' },
      image: 'chainmedic:test',
    });
    const argv = [
      ...job.spec.template.spec.containers[0]!.command,
      ...job.spec.template.spec.containers[0]!.args,
    ];
    expect(argv.some((a) => a.includes('reboot') || a.includes('node-'))).toBe(false);
    expect(job.spec.template.spec.nodeName).toBe(`node-${hostile}`);
  });

  it.each([
    ['agentWaitSeconds', { agentWaitSeconds: 1.5 }],
    ['agentWaitSeconds', { agentWaitSeconds: -1 }],
    ['timeoutSeconds', { timeoutSeconds: 0 }],
    ['attempt', { attempt: 0 }],
  ])('rejects a bad %s', (name, change) => {
    expect(() => buildAgentJob({ ...base, ...change })).toThrow(new RegExp(name));
  });

  it("the dry-run pod is the Job's pod: same spec (the lock mount included), labelled as the Job controller labels it", () => {
    const job = buildAgentJob(base);
    const pod = admissionPodFor(job);
    expect(pod.metadata).toEqual({
      name: 'node-a-0123456789-2-admission',
      namespace: 'chainmedic-agent',
      labels: {
        ...job.spec.template.metadata.labels,
        'job-name': 'node-a-0123456789-2',
        'batch.kubernetes.io/job-name': 'node-a-0123456789-2',
      },
    });
    expect(pod.spec).toEqual(job.spec.template.spec);
    expect(pod.spec.volumes.map((v) => v.hostPath.path)).toEqual(['/run/xtables.lock']);
    expect(() => new Pod(pod as never).validate()).not.toThrow();
  });

  it('keeps names and labels within 63 characters for long node names', () => {
    const long = `${'very-long-node-name.'.repeat(10)}example`;
    const job = buildAgentJob({
      ...base,
      nodeName: long,
      remediation: { name: long, uid: 'u' },
      attempt: 12,
    });
    expect(job.metadata.name.length).toBeLessThanOrEqual(63);
    expect(job.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?-12$/);
    for (const value of Object.values(job.metadata.labels)) {
      expect(value.length).toBeLessThanOrEqual(63);
      expect(value).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
    }
  });
});
