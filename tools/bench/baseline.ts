#!/usr/bin/env node
/**
 * The naive baseline the benchmark compares chainmedic with: the client library's stock informers
 * (`makeInformer`), full typed objects, un-paged lists, on the same resources the operator caches. It only
 * syncs and keeps its caches; the benchmark reads its memory from /proc and the memory reporter.
 *
 *   node dist-dev/tools/bench/baseline.js --kubeconfig PATH [--agent-namespace chainmedic-agent]
 *
 * Prints one JSON line `{"event":"synced","ms":N,"objects":M}` on stdout once every informer has listed and
 * started watching (ms since the process started), then runs until SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { DEFAULT_AGENT_NAMESPACE } from '../../src/config.js';
import {
  GROUP,
  LABEL_APP,
  LABEL_APP_VALUE,
  LABEL_REMEDIATION,
  NODE_REMEDIATION_PLURAL,
  REMEDIATION_POLICY_PLURAL,
  VERSION,
} from '../../src/api/index.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    // Where the agent Jobs and their pods are (the operator's --agent-namespace).
    'agent-namespace': { type: 'string', default: DEFAULT_AGENT_NAMESPACE },
  },
});

const kc = new KubeConfig();
if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
else kc.loadFromCluster();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const ns = values['agent-namespace'];
const target = 'kube-system';
const npmSelector = 'k8s-app=azure-npm';
const jobSelector = `${LABEL_APP}=${LABEL_APP_VALUE}`;

type List = KubernetesListObject<KubernetesObject>;
const customList = (plural: string) => async (): Promise<List> =>
  (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as List;

// The same resources as the operator's informers (src/operator/operator.ts), the library's way.
const informers = [
  makeInformer(kc, '/api/v1/nodes', () => core.listNode() as Promise<List>),
  makeInformer(
    kc,
    `/api/v1/namespaces/${target}/pods`,
    () => core.listNamespacedPod({ namespace: target, labelSelector: npmSelector }) as Promise<List>,
    npmSelector,
  ),
  makeInformer(
    kc,
    `/api/v1/namespaces/${target}/events`,
    () => core.listNamespacedEvent({ namespace: target, fieldSelector: 'reason=BackOff' }) as Promise<List>,
  ),
  makeInformer(
    kc,
    `/apis/apps/v1/namespaces/${target}/daemonsets`,
    () => apps.listNamespacedDaemonSet({ namespace: target }) as Promise<List>,
  ),
  makeInformer(
    kc,
    `/apis/batch/v1/namespaces/${ns}/jobs`,
    () => batch.listNamespacedJob({ namespace: ns, labelSelector: jobSelector }) as Promise<List>,
    jobSelector,
  ),
  makeInformer(
    kc,
    `/api/v1/namespaces/${ns}/pods`,
    () => core.listNamespacedPod({ namespace: ns, labelSelector: LABEL_REMEDIATION }) as Promise<List>,
    LABEL_REMEDIATION,
  ),
  makeInformer(
    kc,
    `/apis/${GROUP}/${VERSION}/${NODE_REMEDIATION_PLURAL}`,
    customList(NODE_REMEDIATION_PLURAL),
  ),
  makeInformer(
    kc,
    `/apis/${GROUP}/${VERSION}/${REMEDIATION_POLICY_PLURAL}`,
    customList(REMEDIATION_POLICY_PLURAL),
  ),
];

for (const informer of informers) {
  // The stock informer stops for good on an error; the baseline only reports it.
  informer.on('error', (err) => process.stderr.write(`baseline informer error: ${String(err)}\n`));
}
await Promise.all(informers.map((i) => i.start()));
const objects = informers.reduce((n, i) => n + i.list().length, 0);
process.stdout.write(`${JSON.stringify({ event: 'synced', ms: Math.round(performance.now()), objects })}\n`);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});
await Promise.all(informers.map((i) => i.stop()));
process.exit(0);
