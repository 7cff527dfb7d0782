/**
 * Installing chainmedic on the real control plane and running the built operator the way its Deployment runs
 * it: with its ServiceAccount's token (never the admin's), the Deployment's arguments and environment, and
 * exactly the RBAC the manifests grant. The Deployment itself is scaled to 0: no kubelet runs its pods here,
 * the operator process stands in for them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freePort } from '../../tools/bench/free-port.js';
import { startOperatorProcess, type OperatorProcess } from '../../tools/bench/operator-process.js';
import { projectRoot } from '../../tools/bench/paths.js';
import type { ControlPlane } from '../../tools/control-plane/harness.js';
import { DEFAULT_AGENT_NAMESPACE, DEFAULT_NAMESPACE } from '../../src/config.js';
import { WEBHOOK_PATH } from '../../src/server/admission/webhook-server.js';
import { WEBHOOK_CONFIGURATION, WEBHOOK_SERVICE } from '../../src/server/certs/names.js';
import { eventually } from '../kit/eventually.js';
import { kubectl, type KubectlResult } from '../kit/kubectl.js';

export const MANIFESTS = join(projectRoot(), 'manifests');
/** The operator's namespace (PSA restricted): its Deployment, ServiceAccount, Lease and webhook Secret. */
export const NAMESPACE = DEFAULT_NAMESPACE;
/** Where the manifests have the operator run its agent Jobs (PSA privileged; CHAINMEDIC_AGENT_NAMESPACE). */
export const AGENT_NAMESPACE = DEFAULT_AGENT_NAMESPACE;
export const OPERATOR = 'chainmedic-operator';
export const SERVICE_ACCOUNT_USER = `system:serviceaccount:${NAMESPACE}:${OPERATOR}`;
const CRDS = ['noderemediations.chainmedic.io', 'remediationpolicies.chainmedic.io'];

/** kubectl as the cluster admin; a non-zero exit throws with kubectl's stderr. */
export async function admin(
  cp: ControlPlane,
  args: string[],
  input?: string,
  options: { allowFailure?: boolean } = {},
): Promise<KubectlResult> {
  const result = await kubectl(cp.adminKubeconfig, args, input !== undefined ? { input } : {});
  if (result.code !== 0 && !options.allowFailure)
    throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result;
}

/**
 * A kustomize overlay over the shipped manifests whose webhooks call `https://<Service DNS name>:<port>/validate`
 * instead of the Service: hack/loopback-netns.sh maps that name to 127.0.0.1, where the operator process serves
 * the webhook with the certificate it issued for that name.
 */
export function loopbackWebhookOverlay(dir: string, port: number): string {
  mkdirSync(dir, { recursive: true });
  const url = `https://${WEBHOOK_SERVICE}.${NAMESPACE}.svc:${port}${WEBHOOK_PATH}`;
  const replace = (i: number) =>
    [
      `      - op: replace`,
      `        path: /webhooks/${i}/clientConfig`,
      `        value: { url: "${url}" }`,
    ].join('\n');
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      // kustomize takes only relative paths to other kustomizations.
      `  - ${relative(dir, MANIFESTS)}`,
      'patches:',
      `  - target: { group: admissionregistration.k8s.io, kind: ValidatingWebhookConfiguration, name: ${WEBHOOK_CONFIGURATION} }`,
      '    patch: |-',
      // The shipped configuration has two webhooks (noderemediations, remediationpolicies).
      replace(0),
      replace(1),
      '',
    ].join('\n'),
  );
  return dir;
}

/**
 * `kubectl apply -k <dir>` (the shipped manifests by default), then waits for the CRDs to be Established and
 * scales the Deployment to 0.
 */
export async function install(cp: ControlPlane, dir = MANIFESTS): Promise<KubectlResult> {
  const applied = await admin(cp, ['apply', '-k', dir]);
  await admin(cp, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    ...CRDS.map((crd) => `crd/${crd}`),
  ]);
  await admin(cp, ['-n', NAMESPACE, 'scale', 'deployment', OPERATOR, '--replicas=0']);
  return applied;
}

/** A kubeconfig with a token of the operator's ServiceAccount (`kubectl create token`). */
export async function serviceAccountKubeconfig(cp: ControlPlane): Promise<string> {
  const token = await admin(cp, ['-n', NAMESPACE, 'create', 'token', OPERATOR, '--duration=2h']);
  return cp.kubeconfigFor(OPERATOR, token.stdout.trim());
}

/** A token of the operator's ServiceAccount (`kubectl create token`), for a kubeconfig of the test's own. */
export async function serviceAccountToken(cp: ControlPlane): Promise<string> {
  return (await admin(cp, ['-n', NAMESPACE, 'create', 'token', OPERATOR, '--duration=2h'])).stdout.trim();
}

interface DeploymentLike {
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        containers: { name: string; args?: string[]; env?: { name: string; value?: string }[] }[];
      };
    };
  };
}

export interface RunningOperator {
  process: OperatorProcess;
  logFile: string;
  webhookPort: number;
  /** The operator's JSON log lines so far. */
  log(): string;
  /** The identity it campaigns for the Lease with (from its log). */
  identity(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the built operator (`make build`) as the Deployment's container would run: its arguments, its
 * environment (CHAINMEDIC_NAMESPACE from the fieldRef), but with `kubeconfig` and the webhook on `webhookPort`
 * (a free port by default).
 */
export async function startOperatorAs(
  cp: ControlPlane,
  kubeconfig: string,
  logFile: string,
  options: { webhookPort?: number } = {},
): Promise<RunningOperator> {
  const deployment = JSON.parse(
    (await admin(cp, ['-n', NAMESPACE, 'get', 'deployment', OPERATOR, '-o', 'json'])).stdout,
  ) as DeploymentLike;
  const pod = deployment.spec.template.spec;
  if (pod.serviceAccountName !== OPERATOR)
    throw new Error(`the Deployment runs as ${pod.serviceAccountName}, not ${OPERATOR}`);
  const container = pod.containers[0]!;
  const [command, ...flags] = container.args ?? [];
  // Only what startOperatorProcess can pass on; a new flag in the Deployment must be taught here.
  if (command !== 'operator' || flags.some((f) => f !== '--leader-elect'))
    throw new Error(`unexpected operator arguments in the Deployment: ${(container.args ?? []).join(' ')}`);
  const env: NodeJS.ProcessEnv = { CHAINMEDIC_NAMESPACE: NAMESPACE };
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  // The tests look for the Jobs where the Deployment says they are.
  if (env.CHAINMEDIC_AGENT_NAMESPACE !== AGENT_NAMESPACE)
    throw new Error(
      `the Deployment runs the agent Jobs in ${env.CHAINMEDIC_AGENT_NAMESPACE}, not ${AGENT_NAMESPACE}`,
    );
  const webhookPort = options.webhookPort ?? (await freePort());
  env.CHAINMEDIC_WEBHOOK_PORT = String(webhookPort);
  const process = await startOperatorProcess({
    kubeconfig,
    logFile,
    leaderElect: flags.includes('--leader-elect'),
    env,
  });
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  try {
    await process.waitReady(60_000);
  } catch (err) {
    await process.child.stop();
    throw new Error(`${(err as Error).message}\n${log().slice(-4000)}`);
  }
  return {
    process,
    logFile,
    webhookPort,
    log,
    identity: () => /"identity":"([^"]+)"/.exec(log())?.[1],
    stop: async () => void (await process.child.stop(10_000)),
  };
}

/** Lines of the operator's log that report a refused call (HTTP 403, "forbidden"). */
export function refusedCalls(log: string): string[] {
  // \b403\b never matches inside a longer number such as a timestamp.
  return log.split('\n').filter((line) => /\b403\b|forbidden/i.test(line));
}

/** The operator's own count of Kubernetes API responses by verb and status code (its /metrics). */
export async function apiResponseCodes(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^chainmedic_kube_requests_total\{verb="([^"]+)",code="([^"]+)"\} (\d+)/gm))
    counts[`${m[1]} ${m[2]}`] = Number(m[3]);
  return counts;
}

/**
 * eventually(), with the tail of the operator's log in the failure (what it did instead). `stopIf` ends the wait
 * at once when it names a reason, e.g. a refused call that means the awaited state will never come.
 */
export async function until(
  operator: Pick<RunningOperator, 'log'> | undefined,
  check: () => boolean | Promise<boolean>,
  what: string,
  options: { limitMs?: number; stopIf?: () => string | undefined } = {},
): Promise<void> {
  let stopped: string | undefined;
  try {
    await eventually(
      async () => {
        stopped = options.stopIf?.();
        return stopped !== undefined || (await check());
      },
      what,
      options.limitMs ?? 60_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}${logTail(operator)}`);
  }
  if (stopped !== undefined) throw new Error(`while waiting for ${what}: ${stopped}${logTail(operator)}`);
}

function logTail(operator: Pick<RunningOperator, 'log'> | undefined): string {
  const tail = operator?.log().split('\n').slice(-25).join('\n') ?? '';
  return `\n--- operator log (last lines) ---\n${tail}`;
}
