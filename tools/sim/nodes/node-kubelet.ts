/**
 * One simulated node's kubelet, node side: registers the Node (with status) and its Lease, renews the Lease,
 * posts the node status at each kubelet start (and a new boot ID after a reboot), and stops doing both while the
 * kubelet is down (`running = false`), so the real node lifecycle controller marks the node Unknown and taints it.
 * Its status posts are strategic merge patches of its own conditions, merged by type as kubelet's are: a
 * condition someone else owns (chainmedic's KubeletIPTablesInitFailed, node-problem-detector's) stays.
 */
import { isAlreadyExists, isConflict } from '../../../src/kube/errors.js';
import { isTransient } from './pod-status-writer.js';
import { MERGE_PATCH, STRATEGIC_MERGE_PATCH, type KubeRest } from '../../../src/kube/rest.js';
import { isoSeconds } from '../actors/actor-store.js';
import { kubeletConditions, type NodeCondition } from '../actors/node-factory.js';
import type { EventWriter } from './event-writer.js';
import { LEASE_NAMESPACE, microTime, nodeLease } from './node-object.js';
import type { KubeObject } from '../api/types.js';

export interface NodeKubeletOptions {
  rest: KubeRest;
  events: EventWriter;
  /** Real milliseconds between Lease renewals (kubelet: a quarter of the 40 s duration). */
  leaseRenewMs: number;
  onError: (what: string, err: unknown) => void;
}

/** A status report every this many Lease renewals. */
const STATUS_REPORT_RENEWALS = 10;

const leasePath = (name: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${name}`;

export class NodeKubelet {
  running = true;
  private uid = '';
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<unknown> = Promise.resolve();
  private renewing = false;
  private posting = false;
  private renewals = 0;
  private bootId: string | undefined;

  constructor(
    private readonly node: KubeObject,
    private readonly options: NodeKubeletOptions,
  ) {
    this.bootId = (node.status as { nodeInfo?: { bootID?: string } } | undefined)?.nodeInfo?.bootID;
  }

  /** `status.nodeInfo.bootID`: the machine's current boot. */
  get currentBootId(): string | undefined {
    return this.bootId;
  }

  get name(): string {
    return this.node.metadata.name;
  }

  /**
   * A kubelet that registered before the simulation began (the memory plane stores such Nodes and Leases itself):
   * it only keeps renewing its Lease, the first renewal at a random point of the period so that thousands of
   * nodes do not renew in the same instant.
   */
  adopt(uid: string): void {
    this.uid = uid;
    const first = Math.floor(Math.random() * this.options.leaseRenewMs);
    this.timer = setTimeout(() => {
      this.renew();
      this.timer = setInterval(() => this.renew(), this.options.leaseRenewMs);
    }, first);
  }

  /** Registers the Node and its Lease; like kubelet, it tries again while the API server is busy or unreachable. */
  async register(): Promise<void> {
    const { rest } = this.options;
    const created = await retryTransient(async () => {
      try {
        return await rest.create<KubeObject>('/api/v1/nodes', this.node);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        return rest.get<KubeObject>(`/api/v1/nodes/${this.name}`);
      }
    });
    this.uid = created.metadata.uid as string;
    await retryTransient(async () => {
      try {
        await rest.create(
          `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`,
          nodeLease(this.name, this.uid, Date.now()),
        );
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    });
    await retryTransient(() => this.starting());
    this.timer = setInterval(() => this.renew(), this.options.leaseRenewMs);
  }

  /** The machine booted again: kubelet starts with the new boot ID. */
  async rebooted(bootId: string): Promise<void> {
    this.bootId = bootId;
    await this.starting();
  }

  /**
   * kubelet (re)started: it posts its status at once and says so in a Starting Event, a new one (a new kubelet
   * process aggregates nothing with the previous one's Events).
   */
  async starting(): Promise<void> {
    if (!this.running) return;
    await this.postStatus();
    this.options.events.forget(this.uid);
    await this.options.events.record({
      involved: { apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.uid },
      reason: 'Starting',
      message: 'Starting kubelet.',
      type: 'Normal',
      host: this.name,
    });
  }

  /** kubelet stops (false) or starts again (true). */
  async setRunning(running: boolean): Promise<void> {
    if (this.running === running) return;
    this.running = running;
    if (running) {
      await this.renewNow();
      await this.starting();
    }
  }

  /**
   * One more node status post (kubelet's periodic status update; `--churn` on the memory plane): skipped while
   * the kubelet is down or its previous post is still on its way.
   */
  heartbeat(): void {
    if (!this.running || this.posting) return;
    this.posting = true;
    this.postStatus()
      .catch((err: unknown) => {
        if (this.running && !isTransient(err)) this.options.onError(`post the status of ${this.name}`, err);
      })
      .finally(() => (this.posting = false));
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer); // clears a pending first timeout too
    this.timer = undefined;
    await this.busy.catch(() => undefined);
  }

  /** The Ready condition and its siblings as kubelet reports them, transition times kept when unchanged. */
  private async postStatus(): Promise<void> {
    const { rest } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        const live = await rest.get<KubeObject>(`/api/v1/nodes/${this.name}`);
        const previous = (live.status as { conditions?: NodeCondition[] } | undefined)?.conditions ?? [];
        const conditions = kubeletConditions(true, isoSeconds(Date.now()), previous);
        await rest.patch(`/api/v1/nodes/${this.name}/status`, STRATEGIC_MERGE_PATCH, {
          metadata: { resourceVersion: live.metadata.resourceVersion },
          status: { conditions, ...(this.bootId ? { nodeInfo: { bootID: this.bootId } } : {}) },
        });
        return;
      } catch (err) {
        if (!(isConflict(err) || isTransient(err)) || attempt >= 5) throw err;
        if (isTransient(err)) await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
      }
    }
  }

  private renew(): void {
    // One renewal at a time: a slow API server gets no pile of them.
    if (!this.running || this.renewing) return;
    // kubelet reports its status at least every few minutes even when nothing changed (nodeStatusReportFrequency):
    // a node a controller marked Unknown while its kubelet ran is Ready again by the next report.
    if (++this.renewals % STATUS_REPORT_RENEWALS === 0) this.heartbeat();
    this.renewing = true;
    this.busy = this.renewNow()
      .catch((err: unknown) => {
        // A failed renewal is tried again at the next period, as kubelet does.
        if (this.running && !isTransient(err)) this.options.onError(`renew the Lease of ${this.name}`, err);
      })
      .finally(() => (this.renewing = false));
  }

  private renewNow(): Promise<unknown> {
    return this.options.rest.patch(leasePath(this.name), MERGE_PATCH, {
      spec: { renewTime: microTime(Date.now()) },
    });
  }
}

const REGISTER_ATTEMPTS = 8;

/** Runs `call` again after a transient failure (no answer, 429, 5xx), backing off from 100 ms to 3.2 s. */
async function retryTransient<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTransient(err) || attempt >= REGISTER_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** (attempt - 1), 3_200)));
    }
  }
}
