/**
 * What the soak reads and writes in the cluster, through the API on either control plane: the leader Lease, the
 * policy's storm-guard limit. The soak's own requests may meet the memory plane's injected faults too, so each
 * read keeps its last good answer and each write is retried until it lands.
 */
import { DEFAULT_POLICY_NAME } from '../../src/api/index.js';
import { DEFAULT_NAMESPACE } from '../../src/config.js';
import { isNotFound } from '../../src/kube/errors.js';
import { paths } from '../../src/kube/paths.js';
import { MERGE_PATCH, type KubeRest } from '../../src/kube/rest.js';
import { pidOfIdentity } from './replicas.js';

const LEASE_NAME = 'chainmedic-operator';
const WRITE_ATTEMPTS = 50;
const RETRY_MS = 200;

export class SoakApiView {
  private holder: string | undefined;

  constructor(private readonly rest: KubeRest) {}

  /** The pid of the replica that holds the leader Lease as last read (undefined: none, or not read yet). */
  get leaderPid(): number | undefined {
    return pidOfIdentity(this.holder);
  }

  /** Reads the leader Lease; a failed read keeps the last answer. */
  async refreshLeader(): Promise<number | undefined> {
    try {
      const lease = await this.rest.get<{ spec?: { holderIdentity?: string } }>(
        paths.lease(DEFAULT_NAMESPACE, LEASE_NAME),
      );
      this.holder = lease.spec?.holderIdentity;
    } catch (err) {
      if (isNotFound(err)) this.holder = undefined;
    }
    return this.leaderPid;
  }

  /** Sets the policy's maxUnhealthy (as an admin would with kubectl), retrying through injected faults. */
  async setMaxUnhealthy(value: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.rest.patch(paths.policy(DEFAULT_POLICY_NAME), MERGE_PATCH, {
          spec: { maxUnhealthy: value },
        });
        return;
      } catch (err) {
        if (attempt >= WRITE_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /** A stuck node as the API shows it: its Ready condition, its taints and its kubelet's Lease. */
  async describeNode(node: string): Promise<string> {
    const parts: string[] = [];
    try {
      const n = await this.rest.get<NodeView>(paths.node(node));
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      parts.push(
        ready
          ? `Ready=${ready.status} (${ready.reason ?? 'no reason'}) since ${ready.lastTransitionTime ?? '?'}, ` +
              `last heartbeat ${ready.lastHeartbeatTime ?? '?'}`
          : 'no Ready condition',
        `taints ${(n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).join(',') || 'none'}`,
      );
    } catch (err) {
      parts.push(`node unreadable: ${String(err)}`);
    }
    try {
      const lease = await this.rest.get<{ spec?: { renewTime?: string } }>(
        `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(node)}`,
      );
      parts.push(`node Lease renewed ${lease.spec?.renewTime ?? 'never'}`);
    } catch (err) {
      parts.push(`node Lease unreadable: ${String(err)}`);
    }
    return `${node} at ${new Date().toISOString()}: ${parts.join('; ')}`;
  }
}

interface NodeView {
  spec?: { taints?: Array<{ key: string; effect: string }> };
  status?: {
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      lastTransitionTime?: string;
      lastHeartbeatTime?: string;
    }>;
  };
}
