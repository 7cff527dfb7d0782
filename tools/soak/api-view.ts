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
}
