import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManagedChild } from '../bench/child-process.js';
import { freePort } from '../bench/free-port.js';
import { controlPlaneBinaries, type ControlPlaneBinary } from './binaries.js';
import { IDENTITIES, writeCredentials, type Identity } from './credentials.js';
import { httpsGet } from './https-get.js';
import { assertLoopbackOnly } from './isolation.js';
import { writeKubeconfig } from './kubeconfig.js';
import { startBinary, waitFor } from './processes.js';

export interface ControlPlaneOptions {
  /** Where data, certificates, kubeconfigs and logs go; a new temporary folder by default. */
  dir?: string;
  /** Keep `dir` after stop (for a look at the logs). */
  keep?: boolean;
  /** kube-apiserver's --etcd-compaction-interval (default 5m); short for the 410-after-compaction tests. */
  etcdCompactionInterval?: string;
  /** Extra kube-apiserver flags (e.g. a feature gate) appended after the harness's own. */
  apiserverArgs?: readonly string[];
  /**
   * Extra kube-controller-manager flags appended after the harness's own (e.g. a short
   * `--node-monitor-grace-period`, so the node lifecycle controller marks a silent node Unknown in test time).
   */
  controllerManagerArgs?: readonly string[];
  /** Start kube-controller-manager and kube-scheduler too (default true). */
  controllers?: boolean;
  /** How long each component may take to become ready. */
  readyTimeoutMs?: number;
}

export interface ControlPlane {
  dir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caFile: string;
  /** A kubeconfig for a system:masters user. */
  adminKubeconfig: string;
  adminToken: string;
  /** The real kubectl built with the control plane. */
  kubectl: string;
  binaries: Record<ControlPlaneBinary, string>;
  /** Milliseconds from the first process start until every component was ready. */
  startMs: number;
  logs: Record<'etcd' | 'apiserver' | 'controllerManager' | 'scheduler', string>;
  /** A kubeconfig for a bearer token (e.g. a ServiceAccount's, from `kubectl create token`). */
  kubeconfigFor(name: string, token: string): string;
  /** Stops every process it started, last started first, and removes `dir` unless kept. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE_CIDR = '10.0.0.0/24';

/**
 * Starts etcd, kube-apiserver and (by default) kube-controller-manager and kube-scheduler on free loopback
 * ports, the way a hardened cluster runs them: RBAC, service-account tokens, the default admission plugins plus
 * OwnerReferencesPermissionEnforcement, privileged pods allowed (as on AKS), webhooks reached by endpoint.
 * It must run inside a loopback-only network namespace (see isolation.ts).
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  assertLoopbackOnly();
  const bin = controlPlaneBinaries();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'chainmedic-cp-'));
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const limit = options.readyTimeoutMs ?? 60_000;
  const logs = {
    etcd: join(dir, 'etcd.log'),
    apiserver: join(dir, 'kube-apiserver.log'),
    controllerManager: join(dir, 'kube-controller-manager.log'),
    scheduler: join(dir, 'kube-scheduler.log'),
  };
  const children: ManagedChild[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const child of children.reverse()) await child.stop(10_000);
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const started = Date.now();
    const creds = writeCredentials(dir);
    const [etcdPort, peerPort, apiPort] = await distinctFreePorts(3);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startBinary(
      [
        bin.etcd,
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      logs.etcd,
    );
    children.push(etcd);
    await waitFor(
      'etcd health',
      async () => (await plainGet(`${etcdUrl}/health`)).includes('"true"'),
      etcd,
      logs.etcd,
      limit,
    );

    const server = `https://127.0.0.1:${apiPort}`;
    const certDir = join(dir, 'pki');
    const apiserver = startBinary(
      [
        bin['kube-apiserver'],
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${certDir}`,
        `--token-auth-file=${creds.tokenFile}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${creds.serviceAccountPub}`,
        `--service-account-signing-key-file=${creds.serviceAccountKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
        '--allow-privileged=true',
        // Webhooks are dialled at their Service's endpoints, never at a ClusterIP (DESIGN.md, traffic safety).
        '--enable-aggregator-routing=true',
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        ...(options.etcdCompactionInterval
          ? [`--etcd-compaction-interval=${options.etcdCompactionInterval}`]
          : []),
        ...(options.apiserverArgs ?? []),
      ],
      logs.apiserver,
    );
    children.push(apiserver);
    const caFile = join(certDir, 'apiserver.crt');
    const admin = creds.tokens.admin;
    await waitFor(
      'kube-apiserver /readyz',
      async () =>
        existsSync(caFile) &&
        (await httpsGet(`${server}/readyz`, readFileSync(caFile), admin)).status === 200,
      apiserver,
      logs.apiserver,
      limit,
    );

    const kubeconfigFor = (name: string, token: string) =>
      writeKubeconfig(join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.kubeconfig`), {
        server,
        caFile,
        token,
        user: name,
      });
    const kubeconfigOf = (who: Identity) => kubeconfigFor(IDENTITIES[who].user, creds.tokens[who]);
    const adminKubeconfig = kubeconfigOf('admin');

    if (options.controllers !== false) {
      /** The flags both controllers take: their own identity, no serving, a Lease to lead by. */
      const controller = async (who: 'controllerManager' | 'scheduler', binary: string, extra: string[]) => {
        const kubeconfig = kubeconfigOf(who);
        const child = startBinary(
          [
            binary,
            `--kubeconfig=${kubeconfig}`,
            `--authentication-kubeconfig=${kubeconfig}`,
            `--authorization-kubeconfig=${kubeconfig}`,
            // Nothing here reads their own HTTPS endpoint (their Leases tell they lead): no port to race for.
            '--secure-port=0',
            `--cert-dir=${join(dir, 'pki', who)}`,
            '--leader-elect=true',
            '--profiling=false',
            ...extra,
          ],
          logs[who],
        );
        children.push(child);
        return child;
      };
      const kcm = await controller('controllerManager', bin['kube-controller-manager'], [
        `--service-account-private-key-file=${creds.serviceAccountKey}`,
        `--root-ca-file=${caFile}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--use-service-account-credentials=true',
        ...(options.controllerManagerArgs ?? []),
      ]);
      const scheduler = await controller('scheduler', bin['kube-scheduler'], []);
      const ca = readFileSync(caFile);
      const has = async (path: string) => (await httpsGet(`${server}${path}`, ca, admin)).status === 200;
      const lease = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`;
      // Each controller leads (its Lease exists) and the service-account controller has done its first work.
      await waitFor(
        'kube-controller-manager leading',
        () => has(lease('kube-controller-manager')),
        kcm,
        logs.controllerManager,
        limit,
      );
      await waitFor(
        'the default ServiceAccount',
        () => has('/api/v1/namespaces/default/serviceaccounts/default'),
        kcm,
        logs.controllerManager,
        limit,
      );
      await waitFor(
        'kube-scheduler leading',
        () => has(lease('kube-scheduler')),
        scheduler,
        logs.scheduler,
        limit,
      );
    }

    return {
      dir,
      server,
      caFile,
      adminKubeconfig,
      adminToken: admin,
      kubectl: bin.kubectl,
      binaries: bin,
      startMs: Date.now() - started,
      logs,
      kubeconfigFor,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function plainGet(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.text();
}
