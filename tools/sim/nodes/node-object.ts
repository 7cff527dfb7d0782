/**
 * The Node and Lease a simulated kubelet registers with a real API server, as AKS nodes register. Pure.
 * Every address is loopback: the API server dials a Node's InternalIP for logs, exec and port-forward
 * (DESIGN.md, traffic safety), so the Node carries no other address.
 */
import type { KubeObject } from '../api/types.js';
import { buildNode, type NodeFactoryContext, type NodeIdentity } from '../actors/node-factory.js';

export const NODE_ADDRESS = '127.0.0.1';
export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The Node as its kubelet creates it (with status), its kubelet API at `kubeletPort` on 127.0.0.1. */
export function registrationNode(id: NodeIdentity, ctx: NodeFactoryContext, kubeletPort: number): KubeObject {
  const node = buildNode(id, ctx);
  // The server sets these.
  delete node.metadata.uid;
  delete node.metadata.creationTimestamp;
  const status = node.status as Record<string, unknown>;
  status.addresses = [{ type: 'InternalIP', address: NODE_ADDRESS }];
  status.daemonEndpoints = { kubeletEndpoint: { Port: kubeletPort } };
  return node;
}

export function nodeLease(nodeName: string, nodeUid: string, renewMs: number): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }],
    },
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      renewTime: microTime(renewMs),
    },
  };
}
