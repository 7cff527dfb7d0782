import type { KubeObject } from '../api/types.js';
import type { SimRandom } from './random.js';

export type NodeOs = 'linux' | 'windows';

export interface NodeIdentity {
  name: string;
  os: NodeOs;
  pool: string;
  index: number;
  internalIp: string;
}

const REGION = 'westeurope';
const KUBE_VERSION = 'v1.30.5';
const SUBSCRIPTION = '3f2a9c1e-5b7d-4e8a-9c61-2d4f8b0e7a13';
const NODE_RESOURCE_GROUP = 'MC_rg-prod_aks-prod_westeurope';
const POOL_SIZE = 1000; // AKS caps a node pool at 1,000 nodes.

const base36 = (n: number, width: number) => n.toString(36).padStart(width, '0');

/** Stable node names: `aks-nodepool1-12345678-vmss000000` for Linux, `npwin1000000` for Windows. */
export function nodeIdentities(linux: number, windows: number, random: SimRandom): NodeIdentity[] {
  const out: NodeIdentity[] = [];
  const poolIds = new Map<string, string>();
  const poolId = (pool: string) => {
    let id = poolIds.get(pool);
    if (!id) {
      id = String(10_000_000 + random.int(89_999_999));
      poolIds.set(pool, id);
    }
    return id;
  };
  for (let i = 0; i < linux; i++) {
    const pool = `nodepool${Math.floor(i / POOL_SIZE) + 1}`;
    const name = `aks-${pool}-${poolId(pool)}-vmss${base36(i % POOL_SIZE, 6)}`;
    out.push({ name, os: 'linux', pool, index: i, internalIp: ipFor(i) });
  }
  for (let i = 0; i < windows; i++) {
    const pool = `npwin${Math.floor(i / POOL_SIZE) + 1}`;
    out.push({
      name: `${pool}${base36(i % POOL_SIZE, 6)}`,
      os: 'windows',
      pool,
      index: i,
      internalIp: ipFor(linux + i),
    });
  }
  return out;
}

function ipFor(n: number): string {
  // 10.224.0.0/12: room for every node of the largest simulated cluster.
  const host = n + 4;
  return `10.${224 + (host >> 16)}.${(host >> 8) & 255}.${host & 255}`;
}

export interface ImageEntry {
  names: string[];
  sizeBytes: number;
}

const LINUX_IMAGES = [
  'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.5',
  'mcr.microsoft.com/containernetworking/azure-npm:v1.5.45',
  'mcr.microsoft.com/containernetworking/azure-cns:v1.6.13',
  'mcr.microsoft.com/containernetworking/azure-ip-masq-agent:v0.1.14',
  'mcr.microsoft.com/containernetworking/cni-dropgz:v0.0.22',
  'mcr.microsoft.com/oss/kubernetes/coredns:v1.11.3-1',
  'mcr.microsoft.com/oss/kubernetes/pause:3.6',
  'mcr.microsoft.com/oss/kubernetes/autoscaler/cluster-proportional-autoscaler:v1.8.11',
  'mcr.microsoft.com/oss/kubernetes/metrics-server:v0.7.2',
  'mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi:v1.30.4',
  'mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi:v1.30.5',
  'mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar:v2.11.1',
  'mcr.microsoft.com/oss/kubernetes-csi/livenessprobe:v2.13.1',
  'mcr.microsoft.com/oss/kubernetes-csi/blob-csi:v1.24.3',
  'mcr.microsoft.com/azuremonitor/containerinsights/ciprod:3.1.23',
  'mcr.microsoft.com/aks/aks-node-problem-detector:v0.8.19',
  'mcr.microsoft.com/oss/kubernetes/kube-state-metrics:v2.13.0',
  'mcr.microsoft.com/oss/v2/open-policy-agent/gatekeeper:v3.17.1',
  'mcr.microsoft.com/azure-policy/policy-kubernetes-addon-prod:1.8.0',
  'mcr.microsoft.com/oss/calico/node:v3.24.6',
  'mcr.microsoft.com/oss/kubernetes/apiserver-network-proxy/agent:v0.30.3-hotfix.20240819',
  'mcr.microsoft.com/aks/ip-masq-agent-v2:v0.1.13',
  'mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.30.6',
  'mcr.microsoft.com/aks/msi/addon-token-adapter:master.241002.1',
  'mcr.microsoft.com/oss/kubernetes/external-dns:v0.14.2',
];

const WINDOWS_IMAGES = [
  'mcr.microsoft.com/oss/kubernetes/pause:3.6-windows-ltsc2022-amd64',
  'mcr.microsoft.com/containernetworking/azure-npm:v1.5.45-win',
  'mcr.microsoft.com/windows/servercore:ltsc2022',
  'mcr.microsoft.com/windows/nanoserver:ltsc2022',
  'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.5-windows-hp',
  'mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi:v1.30.4-windows-hp',
  'mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar:v2.11.1-windows-hp',
  'mcr.microsoft.com/oss/kubernetes-csi/livenessprobe:v2.13.1-windows-hp',
  'mcr.microsoft.com/azuremonitor/containerinsights/ciprod:win-3.1.23',
  'mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.30.6-windows-hp',
];

/** The images a node reports, with stable digests and sizes for a seed. */
export function imageCatalog(random: SimRandom): Record<NodeOs, ImageEntry[]> {
  const entries = (refs: string[], base: number) =>
    refs.map((ref) => {
      const repo = ref.slice(0, ref.lastIndexOf(':'));
      return { names: [`${repo}@sha256:${random.hex(64)}`, ref], sizeBytes: base + random.int(180_000_000) };
    });
  return { linux: entries(LINUX_IMAGES, 9_000_000), windows: entries(WINDOWS_IMAGES, 120_000_000) };
}

const PROBLEM_DETECTOR_CONDITIONS: ReadonlyArray<[string, string, string]> = [
  ['KernelDeadlock', 'KernelHasNoDeadlock', 'kernel has no deadlock'],
  ['ReadonlyFilesystem', 'FilesystemIsNotReadOnly', 'Filesystem is not read-only'],
  ['FrequentUnregisterNetDevice', 'NoFrequentUnregisterNetDevice', 'node is functioning properly'],
  ['FrequentKubeletRestart', 'NoFrequentKubeletRestart', 'kubelet is functioning properly'],
  ['FrequentContainerdRestart', 'NoFrequentContainerdRestart', 'containerd is functioning properly'],
  ['FilesystemCorruptionProblem', 'FilesystemIsOK', 'Filesystem is healthy'],
  ['ContainerRuntimeProblem', 'ContainerRuntimeIsUp', 'container runtime service is up'],
  ['KubeletProblem', 'KubeletIsUp', 'kubelet service is up'],
  ['VMEventScheduled', 'NoVMEventScheduled', 'VM has no scheduled event'],
];

export interface NodeCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

/** Conditions kubelet owns, for a given readiness, keeping transition times when the status does not change. */
export function kubeletConditions(
  ready: boolean,
  heartbeat: string,
  previous: readonly NodeCondition[] = [],
): NodeCondition[] {
  const transition = (type: string, status: string) => {
    const old = previous.find((c) => c.type === type);
    return old && old.status === status ? old.lastTransitionTime : heartbeat;
  };
  const condition = (type: string, status: string, reason: string, message: string): NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: transition(type, status),
  });
  const detector = PROBLEM_DETECTOR_CONDITIONS.map(([type, reason, message]) => {
    const old = previous.find((c) => c.type === type);
    return old ?? condition(type, 'False', reason, message);
  });
  const networkUnavailable = previous.find((c) => c.type === 'NetworkUnavailable') ?? {
    ...condition('NetworkUnavailable', 'False', 'RouteCreated', 'RouteController created a route'),
  };
  return [
    ...detector,
    networkUnavailable,
    condition(
      'MemoryPressure',
      'False',
      'KubeletHasSufficientMemory',
      'kubelet has sufficient memory available',
    ),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    ready
      ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      : condition('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
  ];
}

export interface NodeFactoryContext {
  random: SimRandom;
  images: Record<NodeOs, ImageEntry[]>;
  /** When the cluster was created (ms). */
  createdWallMs: number;
  nowIso: string;
}

/** A Node object as an AKS (VMSS, Azure CNI) cluster reports it: about 10 KB of JSON. */
export function buildNode(id: NodeIdentity, ctx: NodeFactoryContext): KubeObject {
  const { random } = ctx;
  const zone = `${REGION}-${(id.index % 3) + 1}`;
  const linux = id.os === 'linux';
  const instanceType = linux ? 'Standard_D4ds_v5' : 'Standard_D8ds_v5';
  const vmss = linux ? id.name.replace(/vmss[0-9a-z]{6}$/, 'vmss') : id.pool;
  const created = new Date(ctx.createdWallMs + id.index * 1000).toISOString().replace('.000Z', 'Z');
  const nodeImage = linux
    ? 'AKSAzureLinux-V2gen2-202410.09.0'
    : 'AKSWindows-2022-containerd-20348.2762.241009';
  const labels: Record<string, string> = {
    agentpool: id.pool,
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/instance-type': instanceType,
    'beta.kubernetes.io/os': id.os,
    'failure-domain.beta.kubernetes.io/region': REGION,
    'failure-domain.beta.kubernetes.io/zone': zone,
    'kubernetes.azure.com/agentpool': id.pool,
    'kubernetes.azure.com/cluster': NODE_RESOURCE_GROUP,
    'kubernetes.azure.com/consolidated-additional-properties': random.uid(),
    'kubernetes.azure.com/kubelet-identity-client-id': 'a1b2c3d4-0f9e-4d8c-b7a6-5e4d3c2b1a09',
    'kubernetes.azure.com/mode': id.pool === 'nodepool1' ? 'system' : 'user',
    'kubernetes.azure.com/node-image-version': nodeImage,
    'kubernetes.azure.com/nodepool-type': 'VirtualMachineScaleSets',
    'kubernetes.azure.com/os-sku': linux ? 'AzureLinux' : 'Windows2022',
    'kubernetes.azure.com/role': 'agent',
    'kubernetes.azure.com/storageprofile': 'managed',
    'kubernetes.azure.com/storagetier': 'Premium_LRS',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': id.os,
    'kubernetes.io/role': 'agent',
    'node-role.kubernetes.io/agent': '',
    'node.kubernetes.io/instance-type': instanceType,
    'node.kubernetes.io/windows-build': linux ? '' : '10.0.20348',
    storageprofile: 'managed',
    storagetier: 'Premium_LRS',
    'topology.disk.csi.azure.com/zone': zone,
    'topology.kubernetes.io/region': REGION,
    'topology.kubernetes.io/zone': zone,
  };
  if (linux) delete labels['node.kubernetes.io/windows-build'];
  const podCidr = `10.${244 + (id.index >> 8)}.${id.index & 255}.0/24`;
  const capacity = linux
    ? {
        cpu: '4',
        'ephemeral-storage': '129886128Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '16365472Ki',
        pods: '30',
      }
    : { cpu: '8', 'ephemeral-storage': '133703676Ki', memory: '33553972Ki', pods: '30' };
  const allocatable = linux
    ? {
        cpu: '3860m',
        'ephemeral-storage': '119703055367',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '12880800Ki',
        pods: '30',
      }
    : { cpu: '7860m', 'ephemeral-storage': '123222685694', memory: '28307252Ki', pods: '30' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      uid: random.uid(),
      creationTimestamp: created,
      labels,
      annotations: {
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({
          'disk.csi.azure.com': id.name,
          'file.csi.azure.com': id.name,
        }),
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: podCidr,
      podCIDRs: [podCidr],
      providerID: `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/${NODE_RESOURCE_GROUP.toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${id.index % POOL_SIZE}`,
      ...(linux ? {} : { taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }] }),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: id.internalIp },
        { type: 'Hostname', address: id.name },
      ],
      allocatable,
      capacity,
      conditions: kubeletConditions(true, ctx.nowIso),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      images: ctx.images[id.os],
      nodeInfo: {
        architecture: 'amd64',
        bootID: random.uid(),
        containerRuntimeVersion: linux ? 'containerd://1.6.26' : 'containerd://1.7.20+azure',
        kernelVersion: linux ? '5.15.167.1-2.cm2' : '10.0.20348.2762',
        kubeProxyVersion: KUBE_VERSION,
        kubeletVersion: KUBE_VERSION,
        machineID: random.hex(32),
        operatingSystem: id.os,
        osImage: linux ? 'CBL-Mariner/Linux' : 'Windows Server 2022 Datacenter',
        systemUUID: random.uid(),
      },
    },
  };
}
