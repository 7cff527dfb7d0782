/** Reading a simulated cluster's nodes, pods and Events through its API, for the cases that run on both planes. */
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../../../../src/kube/rest.js';
import { NPM_NAMESPACE } from '../../../../tools/sim/actors/npm-objects.js';
import type { SimulatedCluster } from '../../../../tools/sim/simulated-cluster.js';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}
export interface ContainerStatus {
  image: string;
  restartCount: number;
  ready: boolean;
  state: { waiting?: { reason: string }; running?: object; terminated?: object };
  lastState?: { terminated?: { exitCode: number; reason: string } };
}
export interface NodeObj {
  metadata: { name: string; resourceVersion: string; labels: Record<string, string> };
  status: {
    conditions: Condition[];
    nodeInfo: { bootID: string; osImage: string; kernelVersion: string };
  };
}
export interface PodObj {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName: string; containers: Array<{ name: string; image: string }> };
  status?: { containerStatuses?: ContainerStatus[] };
}
export interface EventObj {
  metadata: { name: string; namespace: string };
  reason: string;
  message: string;
  count: number;
  involvedObject: { kind: string; name: string };
  source: { component: string; host: string };
}

export class NodeApi {
  readonly rest: KubeRest;

  constructor(readonly cluster: SimulatedCluster) {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    this.rest = new KubeRest(kc);
  }

  node(name: string): Promise<NodeObj> {
    return this.rest.get<NodeObj>(`/api/v1/nodes/${name}`);
  }

  async condition(name: string, type: string): Promise<Condition | undefined> {
    return (await this.node(name)).status.conditions.find((c) => c.type === type);
  }

  /** The node's azure-npm pod (not being deleted). */
  async npmPod(node: string): Promise<PodObj | undefined> {
    const pods = await this.rest.get<{ items: PodObj[] }>(`/api/v1/namespaces/${NPM_NAMESPACE}/pods`, {
      labelSelector: 'k8s-app=azure-npm',
      fieldSelector: `spec.nodeName=${node}`,
    });
    return pods.items.find((p) => !p.metadata.deletionTimestamp);
  }

  async npmStatus(node: string): Promise<ContainerStatus | undefined> {
    return (await this.npmPod(node))?.status?.containerStatuses?.[0];
  }

  /** The `Starting` Events the node's kubelets posted, as kubelet posts them: in `default`, about the Node. */
  async startingEvents(node: string): Promise<EventObj[]> {
    const list = await this.rest.get<{ items: EventObj[] }>('/api/v1/namespaces/default/events', {
      fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node},reason=Starting`,
    });
    return list.items;
  }

  /** The simulator's admin route; answers the status and the JSON body. */
  async admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.cluster.adminUrl}/sim/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
}
