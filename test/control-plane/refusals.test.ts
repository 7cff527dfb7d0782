/**
 * What a real cluster refuses (issue 17): the built operator, with its own ServiceAccount and the shipped
 * manifests, on a real kube-apiserver, etcd and controllers. Before it cordons a node it dry-runs the agent Job
 * and the pod the Job controller would make of it; a refusal for good (a ValidatingAdmissionPolicy, a
 * ResourceQuota, a missing RBAC verb, Pod Security Admission) ends the remediation `Failed`/`JobRejected` on its
 * first attempt with the API server's message, one Warning Event on the NodeRemediation and one on the Node, the
 * failure metric, the policy `Degraded`, and the node never cordoned. A transient answer (503, 429, 409, a
 * dropped connection), injected by the workshop's fault proxy between the operator and the apiserver
 * (tools/control-plane/fault-proxy.ts, the soak's too), is retried and the remediation heals. One control plane
 * for the file, one node per case.
 */
import { HttpMethod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CORDON_MARKER_ANNOTATION, isTerminal, NODE_REMEDIATION_KIND } from '../../src/api/index.js';
import { jobNameFor } from '../../src/api/names.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import {
  startFaultProxy,
  type FaultProxy,
  type ProxiedRequest,
} from '../../tools/control-plane/fault-proxy.js';
import { kubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeRest } from '../../src/kube/rest.js';
import { FakeKubelet } from './kubelet.js';
import {
  admin,
  AGENT_NAMESPACE,
  install,
  MANIFESTS,
  NAMESPACE,
  refusedCalls,
  SERVICE_ACCOUNT_USER,
  serviceAccountToken,
  startOperatorAs,
  until,
  type RunningOperator,
} from './operator-install.js';
import {
  AZURE_NPM,
  DEFAULT_POLICY,
  NPM,
  refOf,
  remediationDriver,
  type KubeEvent,
  type Remediation,
} from './remediation-fixtures.js';

// The Jobs and the pod dry runs are in the agent namespace (docs/adr/0009): every refusal is set up there.
const JOBS = `/apis/batch/v1/namespaces/${AGENT_NAMESPACE}/jobs`;
const PODS = `/api/v1/namespaces/${AGENT_NAMESPACE}/pods`;
const PROBE = 'refusal-probe';
/**
 * What the test dry-runs as the admin to see a refusal take effect (and go away): a plain Job, a privileged
 * Job (what the policy denies) and a privileged pod (what Pod Security's baseline denies).
 */
const probePodSpec = (privileged: boolean) => ({
  restartPolicy: 'Never',
  ...(privileged ? { hostPID: true } : {}),
  containers: [
    { name: 'probe', image: 'busybox', ...(privileged ? { securityContext: { privileged } } : {}) },
  ],
});
const probeJob = (privileged: boolean) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: PROBE, namespace: AGENT_NAMESPACE },
  spec: { template: { spec: probePodSpec(privileged) } },
});
const PRIVILEGED_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: PROBE, namespace: AGENT_NAMESPACE },
  spec: probePodSpec(true),
};

const VAP_MESSAGE = `privileged Jobs are not allowed in ${AGENT_NAMESPACE}`;
const VAP_NAME = 'deny-privileged-jobs';
const JOB_RULE = {
  apiGroups: ['batch'],
  apiVersions: ['v1'],
  operations: ['CREATE', 'UPDATE'],
  resources: ['jobs'],
};
const DENY_PRIVILEGED_JOBS = [
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: VAP_NAME },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [JOB_RULE] },
      validations: [
        {
          expression:
            'object.spec.template.spec.containers.all(c, !has(c.securityContext) || ' +
            '!has(c.securityContext.privileged) || !c.securityContext.privileged)',
          message: VAP_MESSAGE,
        },
      ],
    },
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: VAP_NAME },
    spec: {
      policyName: VAP_NAME,
      validationActions: ['Deny'],
      matchResources: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': AGENT_NAMESPACE } },
        resourceRules: [JOB_RULE],
      },
    },
  },
];
const QUOTA = {
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'no-jobs', namespace: AGENT_NAMESPACE },
  spec: { hard: { 'count/jobs.batch': '0' } },
};
const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';

interface PolicyStatus {
  rejectedNodes?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

describe('what the API server refuses, and what it only fails for a moment', () => {
  let cp: ControlPlane;
  let rest: KubeRest;
  let proxy: FaultProxy;
  let operator: RunningOperator | undefined;
  let drive: ReturnType<typeof remediationDriver>;
  const kubelets: FakeKubelet[] = [];
  /** Nodes refused so far (each case leaves its Failed NodeRemediation: the policy counts them). */
  let refusedSoFar = 0;

  const wait = (
    check: () => boolean | Promise<boolean>,
    what: string,
    stopIf?: () => string | undefined,
  ): Promise<void> => until(operator, check, what, stopIf ? { stopIf } : {});

  /** The API server's answer to a server-side dry run of `body` by the admin: undefined if admitted. */
  async function dryRunRefusal(
    path: string,
    body: unknown,
  ): Promise<{ code: number; message: string } | undefined> {
    try {
      await rest.request(HttpMethod.POST, path, { body, query: { dryRun: 'All' } });
      return undefined;
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.code === 0) throw err;
      // KubeApiError's message: "<method> <path>: <code> <reason> <the server's message>".
      const prefix = `POST ${path}: ${err.code} ${err.reason} `;
      return {
        code: err.code,
        message: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message,
      };
    }
  }
  /** Waits until the admin's dry run of `body` is refused with `expected` in the message; returns the refusal. */
  async function refusedWith(path: string, body: unknown, expected: string) {
    let refusal: { code: number; message: string } | undefined;
    await wait(
      async () => (refusal = await dryRunRefusal(path, body))?.message.includes(expected) === true,
      `a dry run of ${path} refused with "${expected}"`,
    );
    return refusal!;
  }
  const admittedAgain = (path: string, body: unknown, what: string) =>
    wait(
      async () => (await dryRunRefusal(path, body)) === undefined,
      `${what}: a dry run of ${path} admitted`,
    );

  async function failedTotal(reason: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${operator!.process.metricsPort}/metrics`)).text();
    const m = new RegExp(`^chainmedic_remediations_failed_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(
      text,
    );
    return m ? Number(m[1]) : 0;
  }
  const policy = () =>
    rest.get<{ status?: PolicyStatus }>('/apis/chainmedic.io/v1alpha1/remediationpolicies/default');
  const operatorRequests = (from: number, method: string, path: string): ProxiedRequest[] =>
    proxy.requests.slice(from).filter((r) => r.method === method && r.path === path);

  beforeAll(async () => {
    cp = await startControlPlane();
    rest = kubeClient(cp.adminKubeconfig).rest;
    drive = remediationDriver(rest, (check, what) => wait(check, what));
    const applied = await install(cp);
    expect(applied.stderr).toBe('');
    await rest.create(`/apis/apps/v1/namespaces/${NPM.namespace}/daemonsets`, AZURE_NPM);
    // The defaults but no audit: the fake kubelets here play only remediation Jobs, and every Job the operator
    // creates is checked against the refusal armed (the audit's own refusals: test/operator/auditor.test.ts).
    await admin(
      cp,
      ['apply', '-f', '-'],
      JSON.stringify({ ...DEFAULT_POLICY, spec: { audit: { enabled: false } } }),
    );
    // The operator reaches the apiserver only through the proxy (no fault armed until a case arms one).
    proxy = await startFaultProxy({ upstream: cp.server, upstreamCaFile: cp.caFile, dir: cp.dir });
    const kubeconfig = proxy.kubeconfigFor('chainmedic-operator', await serviceAccountToken(cp));
    operator = await startOperatorAs(cp, kubeconfig, `${cp.dir}/operator.log`);
    await wait(
      () => operator!.log().includes('"msg":"leading: reconciling"'),
      'the operator leading (through the proxy)',
    );
  }, 180_000);

  /**
   * What a case undoes after itself, last first, whether it passed or not: the next case starts from the
   * shipped install with no node affected (the storm guard counts affected nodes: maxUnhealthy 10%, at least 1).
   */
  const undo: { what: string; run: () => Promise<unknown> }[] = [];
  afterEach(async () => {
    proxy?.clear();
    const failed: string[] = [];
    for (let u = undo.pop(); u; u = undo.pop()) {
      try {
        await u.run();
      } catch (err) {
        failed.push(`${u.what}: ${(err as Error).message}`);
      }
    }
    if (failed.length > 0) throw new Error(`undoing the case failed:\n${failed.join('\n')}`);
  }, 120_000);

  /** A new node for one case; afterwards its azure-npm runs Ready and no remediation of it is active. */
  async function newNode(nodeName: string): Promise<FakeKubelet> {
    const kubelet = await FakeKubelet.start(rest, nodeName);
    kubelets.push(kubelet);
    undo.push({
      what: `${nodeName} healthy again`,
      run: async () => {
        for (const pod of await drive.npmPodsOn(kubelet))
          if (!pod.metadata.deletionTimestamp) await kubelet.runReady(refOf(pod), NPM.container);
        // Only when the case failed: the sweep releases the cordon of a NodeRemediation that is gone.
        for (const nr of await drive.remediationsOn(nodeName))
          if (!isTerminal(nr.status?.phase))
            await rest.delete(`/apis/chainmedic.io/v1alpha1/noderemediations/${nr.metadata.name}`);
      },
    });
    return kubelet;
  }

  afterAll(async () => {
    await operator?.stop();
    for (const k of kubelets) await k.stop();
    await proxy?.stop();
    await cp?.stop();
  });

  /**
   * A new node whose azure-npm crash-loops with the detection failure while a refusal is in force: the
   * remediation must end Failed/JobRejected on its first attempt, the node never cordoned (a cordon patch ends
   * every wait at once). `checkMessage` checks the NodeRemediation's status.message (the apiserver's, verbatim).
   */
  async function expectRejectedBeforeCordon(
    nodeName: string,
    checkMessage: (message: string, nr: Remediation) => void,
  ): Promise<Remediation> {
    const failedBefore = await failedTotal('JobRejected');
    const from = proxy.requests.length;
    const cordonPatches = () =>
      proxy.requests
        .slice(from)
        .filter(
          (r) =>
            r.method === 'PATCH' &&
            r.path === `/api/v1/nodes/${nodeName}` &&
            r.body.includes('unschedulable'),
        );
    const notCordoned = () =>
      cordonPatches().length > 0
        ? `the operator cordoned ${nodeName}: ${cordonPatches()[0]!.body}`
        : undefined;
    const kubelet = await newNode(nodeName);
    const watched = remediationDriver(rest, (check, what) => wait(check, what, notCordoned));
    await watched.crashLoopNpm(kubelet);
    const created = await watched.remediationFor(nodeName);
    const name = created.metadata.name;

    let nr: Remediation | undefined;
    await wait(
      async () => (nr = (await drive.remediationsOn(nodeName))[0])?.status?.phase === 'Failed',
      `NodeRemediation ${name} Failed`,
      notCordoned,
    );
    const status = nr!.status!;
    expect(status).toMatchObject({ phase: 'Failed', reason: 'JobRejected', attempt: 1 });
    expect(status.attempts).toHaveLength(1);
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Completed', status: 'True', reason: 'JobRejected' }),
      ]),
    );
    checkMessage(status.message ?? '', nr!);

    // Never cordoned: no cordon patch ever left the operator, and the node is as it was.
    expect(cordonPatches()).toEqual([]);
    const node = await drive.node(nodeName);
    expect(node.spec.unschedulable).toBeFalsy();
    expect(node.metadata.annotations?.[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    // It asked first (a dry run), and never created the Job for real; no Job, no agent pod.
    expect(
      operatorRequests(from, 'POST', JOBS).filter((r) => r.query.dryRun === 'All').length,
    ).toBeGreaterThan(0);
    expect(operatorRequests(from, 'POST', JOBS).filter((r) => r.query.dryRun === undefined)).toEqual([]);
    const jobs = await drive.list<{ metadata: { ownerReferences?: { uid: string }[] } }>(JOBS);
    expect(jobs.filter((j) => j.metadata.ownerReferences?.some((o) => o.uid === nr!.metadata.uid))).toEqual(
      [],
    );
    expect(await kubelet.pods(AGENT_NAMESPACE)).toEqual([]);
    expect(await kubelet.pods(NAMESPACE)).toEqual([]);

    // The metric, the Events (Warning, by chainmedic, in `default`), the fleet condition on the policy.
    await wait(
      async () => (await failedTotal('JobRejected')) === failedBefore + 1,
      `chainmedic_remediations_failed_total{reason="JobRejected"} ${failedBefore + 1}`,
    );
    const eventsFor = async (kind: string, objectName: string, reason: string) =>
      (await drive.list<KubeEvent>('/api/v1/namespaces/default/events')).filter(
        (e) => e.involvedObject.kind === kind && e.involvedObject.name === objectName && e.reason === reason,
      );
    await wait(
      async () =>
        (await eventsFor(NODE_REMEDIATION_KIND, name, 'JobRejected')).length > 0 &&
        (await eventsFor('Node', nodeName, 'RemediationFailed')).length > 0,
      `the JobRejected Event on ${name} and RemediationFailed on ${nodeName}`,
    );
    refusedSoFar += 1;
    await wait(async () => {
      const s = (await policy()).status;
      const degraded = s?.conditions?.find((c) => c.type === 'Degraded');
      return (
        degraded?.status === 'True' &&
        degraded.reason === 'JobsRejected' &&
        (degraded.message ?? '').includes(nodeName) &&
        (s?.rejectedNodes ?? 0) >= refusedSoFar
      );
    }, `the policy Degraded/JobsRejected naming ${nodeName}, rejectedNodes >= ${refusedSoFar}`);
    // Still exactly one of each (checked after the policy's publication: nothing was recorded again since).
    for (const [kind, objectName, reason] of [
      [NODE_REMEDIATION_KIND, name, 'JobRejected'],
      ['Node', nodeName, 'RemediationFailed'],
    ] as const) {
      const events = await eventsFor(kind, objectName, reason);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'Warning', source: { component: 'chainmedic' } });
      expect(events[0]!.count ?? 1).toBe(1);
    }
    expect((await eventsFor(NODE_REMEDIATION_KIND, name, 'JobRejected'))[0]!.message).toContain(
      status.message!.slice(0, 80),
    );
    // One refusal, one attempt: the operator did not come back to it.
    const after = await drive.remediationsOn(nodeName);
    expect(after).toHaveLength(1);
    expect(after[0]!.status).toMatchObject({ phase: 'Failed', attempt: 1 });
    return nr!;
  }

  it('a ValidatingAdmissionPolicy denying privileged Jobs: Failed/JobRejected with its message, no cordon', async () => {
    await admin(cp, ['apply', '-f', '-'], DENY_PRIVILEGED_JOBS.map((o) => JSON.stringify(o)).join('\n'));
    undo.push({
      what: 'the policy removed',
      run: async () => {
        await admin(cp, [
          'delete',
          '--ignore-not-found',
          'validatingadmissionpolicybinding,validatingadmissionpolicy',
          VAP_NAME,
        ]);
        await admittedAgain(JOBS, probeJob(true), 'the policy removed');
      },
    });
    // A policy takes effect once the apiserver has compiled it: wait for a refusal, not for a time.
    const probe = await refusedWith(JOBS, probeJob(true), VAP_MESSAGE);
    expect(probe.message).toContain(`ValidatingAdmissionPolicy '${VAP_NAME}'`);

    await expectRejectedBeforeCordon('aks-nodepool1-27182818-vmss000000', (message, nr) => {
      // The apiserver's message for the operator's Job, word for word.
      expect(message).toContain(
        probe.message.replace(`"${PROBE}"`, `"${nr.status?.jobName ?? jobNameFor(nr.metadata.name, 1)}"`),
      );
    });
  }, 120_000);

  it('a ResourceQuota of zero Jobs: Failed/JobRejected, "exceeded quota", no cordon', async () => {
    await admin(cp, ['apply', '-f', '-'], JSON.stringify(QUOTA));
    undo.push({
      what: 'the quota removed',
      run: async () => {
        await admin(cp, [
          '-n',
          AGENT_NAMESPACE,
          'delete',
          '--ignore-not-found',
          'resourcequota',
          QUOTA.metadata.name,
        ]);
        await admittedAgain(JOBS, probeJob(false), 'the quota removed');
      },
    });
    // Until the quota controller has computed its usage, the apiserver refuses with "status unknown".
    const probe = await refusedWith(JOBS, probeJob(false), 'exceeded quota');
    expect(probe.code).toBe(403);

    await expectRejectedBeforeCordon('aks-nodepool1-27182818-vmss000001', (message, nr) => {
      expect(message).toContain('exceeded quota');
      expect(message).toContain(
        probe.message.replace(`"${PROBE}"`, `"${nr.status?.jobName ?? jobNameFor(nr.metadata.name, 1)}"`),
      );
    });
  }, 120_000);

  it('update on noderemediations/finalizers missing from the ClusterRole: Failed/JobRejected, no cordon', async () => {
    // The shipped ClusterRole minus that one rule (ADR 6), applied over the installed one.
    const shipped = parseAllDocuments((await admin(cp, ['kustomize', MANIFESTS])).stdout)
      .map((doc) => doc.toJS() as { kind?: string; rules?: { resources?: string[] }[] })
      .find((o) => o.kind === 'ClusterRole');
    expect(shipped).toBeDefined();
    const role = JSON.stringify(shipped);
    const without = JSON.stringify({
      ...shipped,
      rules: shipped!.rules!.filter((r) => !r.resources?.includes('noderemediations/finalizers')),
    });
    expect(without).not.toBe(role);
    const mayUpdateFinalizers = async () => {
      const review = await rest.create<{ status: { allowed: boolean } }>(
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: SERVICE_ACCOUNT_USER,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`, 'system:authenticated'],
            resourceAttributes: {
              group: 'chainmedic.io',
              resource: 'noderemediations',
              subresource: 'finalizers',
              verb: 'update',
            },
          },
        },
      );
      return review.status.allowed;
    };
    await admin(cp, ['apply', '-f', '-'], without);
    undo.push({
      what: 'the shipped ClusterRole again',
      run: async () => {
        await admin(cp, ['apply', '-f', '-'], role);
        await wait(mayUpdateFinalizers, 'the operator allowed noderemediations/finalizers again');
      },
    });
    // The authorizer works from its own cache of the RBAC objects: wait until it says no.
    await wait(
      async () => !(await mayUpdateFinalizers()),
      'the operator no longer allowed noderemediations/finalizers',
    );

    await expectRejectedBeforeCordon('aks-nodepool1-27182818-vmss000002', (message) => {
      expect(message).toContain('cannot set blockOwnerDeletion');
    });
  }, 120_000);

  it('Pod Security Admission enforcing baseline in the agent namespace: the pod dry run is refused, Failed/JobRejected, no cordon', async () => {
    const labels = async () =>
      (
        await rest.get<{ metadata: { labels?: Record<string, string> } }>(
          `/api/v1/namespaces/${AGENT_NAMESPACE}`,
        )
      ).metadata.labels ?? {};
    const shipped = (await labels())[PSA_ENFORCE];
    expect(shipped).toBe('privileged');
    const from = proxy.requests.length;
    await admin(cp, ['label', 'namespace', AGENT_NAMESPACE, `${PSA_ENFORCE}=baseline`, '--overwrite']);
    undo.push({
      what: 'the namespace privileged again',
      run: async () => {
        await admin(cp, ['label', 'namespace', AGENT_NAMESPACE, `${PSA_ENFORCE}=${shipped}`, '--overwrite']);
        await admittedAgain(PODS, PRIVILEGED_POD, 'the namespace privileged again');
      },
    });
    await refusedWith(PODS, PRIVILEGED_POD, 'violates PodSecurity');

    await expectRejectedBeforeCordon('aks-nodepool1-27182818-vmss000003', (message) => {
      expect(message).toContain('violates PodSecurity "baseline:latest"');
      expect(message).toMatch(/^The API server refused the remediation Job's pod \(403 Forbidden\)/);
      expect(message).toContain('privileged');
    });
    // PSA judges pods, not Jobs: the Job's dry run passed, the pod's was refused (403).
    const dryRuns = (path: string) =>
      operatorRequests(from, 'POST', path).filter((r) => r.query.dryRun === 'All');
    expect(dryRuns(JOBS).map((r) => r.status)).toContain(201);
    expect(dryRuns(PODS).map((r) => r.status)).toContain(403);
    expect(operatorRequests(from, 'POST', PODS).filter((r) => r.query.dryRun === undefined)).toEqual([]);
  }, 120_000);

  it('503, 429, 409 and a dropped connection are retried: the remediation heals, no cordon left', async () => {
    const nodeName = 'aks-nodepool1-27182818-vmss000004';
    const from = proxy.requests.length;
    const logFrom = operator!.log().length;
    const node = `/api/v1/nodes/${nodeName}`;
    const faults = [
      proxy.inject({
        name: 'job dry run 503',
        method: 'POST',
        path: new RegExp(`^${JOBS}$`),
        query: { dryRun: 'All' },
        times: 1,
        answer: { status: 503, retryAfterSeconds: 1 },
      }),
      proxy.inject({
        name: 'pod dry run 429',
        method: 'POST',
        path: new RegExp(`^${PODS}$`),
        query: { dryRun: 'All' },
        times: 1,
        answer: { status: 429, retryAfterSeconds: 1 },
      }),
      proxy.inject({
        name: 'cordon dropped',
        method: 'PATCH',
        path: new RegExp(`^${node}$`),
        bodyIncludes: '"unschedulable":true',
        times: 1,
        answer: { drop: 'before-forward' },
      }),
      proxy.inject({
        name: 'job create 503',
        method: 'POST',
        path: new RegExp(`^${JOBS}$`),
        query: { dryRun: undefined },
        times: 1,
        answer: { status: 503, retryAfterSeconds: 1 },
      }),
      proxy.inject({
        name: 'uncordon 409',
        method: 'PATCH',
        path: new RegExp(`^${node}$`),
        bodyIncludes: '"op":"test"',
        times: 1,
        answer: { status: 409 },
      }),
    ];

    const kubelet = await newNode(nodeName);
    const stopIf = () => {
      const refused = refusedCalls(operator!.log().slice(logFrom));
      return refused.length > 0
        ? `the operator took a transient answer for a refusal:\n${refused[0]}`
        : undefined;
    };
    const healing = remediationDriver(rest, (check, what) => wait(check, what, stopIf));
    const crashing = await healing.crashLoopNpm(kubelet);
    const nr = await healing.remediationFor(nodeName);
    await healing.finishRemediation(kubelet, nr, crashing);

    // Every fault was served (the operator met each one), and each call was retried past it.
    expect(proxy.faults()).toEqual(proxy.faults().map((f) => ({ ...f, served: f.times })));
    expect(faults.map((f) => f.served())).toEqual([1, 1, 1, 1, 1]);
    const seen = proxy.requests.slice(from);
    for (const name of proxy.faults().map((f) => f.name)) {
      const at = seen.findIndex((r) => r.fault === name);
      const faulted = seen[at]!;
      const retried = seen
        .slice(at + 1)
        .find((r) => r.method === faulted.method && r.path === faulted.path && r.fault === undefined);
      expect({ fault: name, retriedWith: retried?.status }).toEqual({
        fault: name,
        retriedWith: expect.any(Number),
      });
      expect(retried!.status).toBeLessThan(300);
    }
    // The transient answers cost no attempt: one attempt, Succeeded, the node schedulable and unmarked.
    const [done] = await drive.remediationsOn(nodeName);
    expect(done!.status).toMatchObject({ phase: 'Succeeded', attempt: 1 });
    expect(done!.status!.attempts).toHaveLength(1);
    const healed = await drive.node(nodeName);
    expect(healed.spec.unschedulable).toBeFalsy();
    expect(healed.metadata.annotations?.[CORDON_MARKER_ANNOTATION]).toBeUndefined();
  }, 120_000);
});
