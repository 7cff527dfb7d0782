/**
 * A kubelet played by the test (kwok-style) against the real control plane: a Linux Node registered as AKS
 * registers one, its Lease in kube-node-lease kept fresh, pod statuses written as kubelet writes them, pod
 * deletions finished, and the kubelet API's container logs served over HTTPS, which the API server reaches
 * for `pods/log` at the Node's InternalIP and kubeletEndpoint port. Everything is on 127.0.0.1 (DESIGN.md,
 * traffic safety): the Node carries no other address.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isNotFound } from '../../src/kube/errors.js';
import { MERGE_PATCH, type KubeRest } from '../../src/kube/rest.js';
import { createCa, createServingCertificate } from '../../src/server/certs/generate.js';

const ADDRESS = '127.0.0.1';
const LEASE_DURATION_SECONDS = 40;
/** kubelet renews its Lease every quarter of its duration. */
const LEASE_RENEW_MS = (LEASE_DURATION_SECONDS * 1000) / 4;

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** One request the API server made to this kubelet. */
export interface KubeletRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

interface PodLike {
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
  status?: { phase?: string };
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const seconds = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Node as an AKS Ubuntu node pool registers it, with status (a kubelet creates its Node with status). */
function aksNode(name: string, port: number): unknown {
  const now = seconds();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        agentpool: 'nodepool1',
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.azure.com/agentpool': 'nodepool1',
        'kubernetes.azure.com/cluster': 'MC_rg_aks_westeurope',
        'kubernetes.azure.com/mode': 'system',
        'kubernetes.azure.com/node-image-version': 'AKSUbuntu-2204gen2containerd-202611.10.0',
        'kubernetes.azure.com/os-sku': 'Ubuntu',
        'kubernetes.azure.com/role': 'agent',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/role': 'agent',
        'node.kubernetes.io/instance-type': 'Standard_D4s_v3',
        'topology.kubernetes.io/region': 'westeurope',
        'topology.kubernetes.io/zone': '0',
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      providerID: `azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-vmss/virtualMachines/${name.slice(-1)}`,
    },
    status: {
      // Only loopback: the API server dials this address for logs, exec and port-forward.
      addresses: [{ type: 'InternalIP', address: ADDRESS }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
      capacity: { cpu: '4', memory: '16365320Ki', pods: '110', 'ephemeral-storage': '129886128Ki' },
      allocatable: { cpu: '3860m', memory: '12880648Ki', pods: '110', 'ephemeral-storage': '119703055367' },
      conditions: [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
      ].map(([type, status, reason, message]) => ({
        type,
        status,
        reason,
        message,
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      })),
      nodeInfo: {
        architecture: 'amd64',
        bootID: '3f0c6a4e-5d0e-4b8e-9a43-0d6a2c1f0001',
        containerRuntimeVersion: 'containerd://1.7.27-1',
        kernelVersion: '5.15.0-1089-azure',
        kubeProxyVersion: '',
        kubeletVersion: 'v1.34.2',
        machineID: 'c0ffee00000000000000000000000001',
        operatingSystem: 'linux',
        osImage: 'Ubuntu 22.04.5 LTS',
        systemUUID: 'c0ffee00-0000-0000-0000-000000000001',
      },
    },
  };
}

export class FakeKubelet {
  /** Every request the API server made to this kubelet's HTTPS port. */
  readonly requests: KubeletRequest[] = [];
  private readonly previousLogs = new Map<string, string>();
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly nodeName: string,
    readonly port: number,
    private readonly rest: KubeRest,
    private readonly server: Server,
  ) {}

  /** Serves the kubelet API, registers the Node and its Lease, and renews the Lease until stopped. */
  static async start(rest: KubeRest, nodeName: string): Promise<FakeKubelet> {
    // Self-signed is enough: the API server verifies kubelet certificates only with --kubelet-certificate-authority.
    const now = new Date();
    const serving = createServingCertificate(createCa(now, 'kubelet-ca'), now, [nodeName]);
    // The server answers once the kubelet exists (the Node names its port, so the port comes first).
    const self: { kubelet?: FakeKubelet } = {};
    const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      const url = new URL(req.url ?? '/', `https://${ADDRESS}`);
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
      };
      const answer = self.kubelet?.answer(request) ?? { status: 503, body: 'starting' };
      self.kubelet?.requests.push(request);
      res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, ADDRESS, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const kubelet = new FakeKubelet(nodeName, port, rest, server);
    self.kubelet = kubelet;
    try {
      await kubelet.register();
    } catch (err) {
      await kubelet.stop();
      throw err;
    }
    return kubelet;
  }

  /** What `kubectl logs --previous` (and the operator) read for this container. */
  setPreviousLog(pod: Pick<PodRef, 'namespace' | 'name'>, container: string, log: string): void {
    this.previousLogs.set(`${pod.namespace}/${pod.name}/${container}`, log);
  }

  /** The log requests for one container, as the API server forwarded them. */
  logRequests(pod: Pick<PodRef, 'namespace' | 'name'>, container: string): KubeletRequest[] {
    const path = `/containerLogs/${pod.namespace}/${pod.name}/${container}`;
    return this.requests.filter((r) => r.path === path);
  }

  /** The pods bound to this node, as the API server has them. */
  async pods(namespace: string): Promise<PodLike[]> {
    const list = await this.rest.get<{ items: PodLike[] }>(`/api/v1/namespaces/${namespace}/pods`, {
      fieldSelector: `spec.nodeName=${this.nodeName}`,
    });
    return list.items;
  }

  /** The container crash-loops: restarted `restartCount` times, the last run failed, back-off waiting. */
  async crashLoop(pod: PodRef, container: string, restartCount: number): Promise<void> {
    const at = seconds();
    await this.writeStatus(pod, {
      phase: 'Running',
      ...this.started(at),
      conditions: this.conditions(at, false),
      containerStatuses: [
        {
          name: container,
          ...(await this.imageOf(pod, container)),
          ready: false,
          started: false,
          restartCount,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 2m40s restarting failed container=${container} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
            },
          },
          lastState: {
            terminated: { exitCode: 1, reason: 'Error', startedAt: at, finishedAt: at, containerID: '' },
          },
        },
      ],
    });
    // kubelet's BackOff Event on the pod, in the pod's namespace.
    await this.rest.create(`/api/v1/namespaces/${pod.namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.name}.${Date.now().toString(16)}`, namespace: pod.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: pod.namespace,
        name: pod.name,
        uid: pod.uid,
        fieldPath: `spec.containers{${container}}`,
      },
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      type: 'Warning',
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: at,
      lastTimestamp: at,
      count: restartCount,
    });
  }

  /** The container runs and is Ready. */
  async runReady(pod: PodRef, container: string): Promise<void> {
    const at = seconds();
    await this.writeStatus(pod, {
      phase: 'Running',
      ...this.started(at),
      conditions: this.conditions(at, true),
      containerStatuses: [
        {
          name: container,
          ...(await this.imageOf(pod, container)),
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: at } },
        },
      ],
    });
  }

  /** The container (restartPolicy Never) exited with `exitCode`, its termination message `message`. */
  async terminate(pod: PodRef, container: string, exitCode: number, message: string): Promise<void> {
    const at = seconds();
    await this.writeStatus(pod, {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      ...this.started(at),
      conditions: this.conditions(at, false, 'PodCompleted'),
      containerStatuses: [
        {
          name: container,
          ...(await this.imageOf(pod, container)),
          ready: false,
          started: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              message,
              startedAt: at,
              finishedAt: at,
              containerID: '',
            },
          },
        },
      ],
    });
  }

  /** A pod being deleted gracefully: its containers stopped, kubelet removes it (grace 0, this uid only). */
  async finishDeletion(pod: PodRef): Promise<void> {
    try {
      await this.rest.delete(`/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    await this.renewing.catch(() => undefined);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: KubeletRequest): { status: number; body: string } {
    const logs = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(request.path);
    if (request.method !== 'GET' || !logs) return { status: 404, body: '404 page not found\n' };
    const [, namespace, name, container] = logs;
    if (request.query.previous !== 'true') return { status: 200, body: '' };
    const log = this.previousLogs.get(`${namespace}/${name}/${container}`);
    if (log === undefined) {
      return {
        status: 400,
        body: `previous terminated container "${container}" in pod "${name}" not found`,
      };
    }
    // kubelet applies tailLines, then limitBytes.
    let lines = log.split(/(?<=\n)/);
    if (request.query.tailLines !== undefined) lines = lines.slice(-Number(request.query.tailLines));
    let body = lines.join('');
    if (request.query.limitBytes !== undefined) body = body.slice(0, Number(request.query.limitBytes));
    return { status: 200, body };
  }

  private async register(): Promise<void> {
    const node = await this.rest.create<{ metadata: { uid: string } }>(
      '/api/v1/nodes',
      aksNode(this.nodeName, this.port),
    );
    await this.rest.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.nodeName,
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: node.metadata.uid }],
      },
      spec: {
        holderIdentity: this.nodeName,
        leaseDurationSeconds: LEASE_DURATION_SECONDS,
        renewTime: microTime(),
      },
    });
    // The node lifecycle controller marks a node Unknown (and taints it) once its Lease is older than the
    // grace period; kubelet's renewals keep it Ready for as long as the test runs.
    this.renewTimer = setInterval(() => {
      this.renewing = this.rest
        .patch(
          `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.nodeName}`,
          MERGE_PATCH,
          { spec: { renewTime: microTime() } },
        )
        .catch(() => undefined);
    }, LEASE_RENEW_MS);
  }

  private started(at: string) {
    return { hostIP: ADDRESS, hostIPs: [{ ip: ADDRESS }], startTime: at };
  }

  private conditions(at: string, ready: boolean, reason = 'ContainersNotReady') {
    return [
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: at },
      { type: 'Initialized', status: 'True', lastTransitionTime: at },
      ready
        ? { type: 'Ready', status: 'True', lastTransitionTime: at }
        : { type: 'Ready', status: 'False', reason, lastTransitionTime: at },
      ready
        ? { type: 'ContainersReady', status: 'True', lastTransitionTime: at }
        : { type: 'ContainersReady', status: 'False', reason, lastTransitionTime: at },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
    ];
  }

  private async imageOf(pod: PodRef, container: string) {
    const live = await this.rest.get<PodLike>(`/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`);
    const image = live.spec.containers.find((c) => c.name === container)?.image ?? '';
    return { image, imageID: '', containerID: '' };
  }

  private async writeStatus(pod: PodRef, status: Record<string, unknown>): Promise<void> {
    // A strategic merge patch of the status subresource, with the uid: never another incarnation's status.
    await this.rest.patch(
      `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`,
      'application/strategic-merge-patch+json',
      { metadata: { uid: pod.uid }, status },
    );
  }
}
