import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { paths } from './paths.js';
import type { KubeRest } from './rest.js';

export interface LeaderElectionTimings {
  /** How long a lease is valid after its last renewal, as seen by the other candidates. */
  leaseDurationMs: number;
  /** The leader gives up (stops acting) if it could not renew for this long. */
  renewDeadlineMs: number;
  /** Pause between attempts to acquire or renew. */
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_TIMINGS: LeaderElectionTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export interface LeaderElectorOptions {
  rest: KubeRest;
  namespace: string;
  leaseName: string;
  identity: string;
  timings?: Partial<LeaderElectionTimings>;
  onStartedLeading: () => void;
  /** Called at once when leadership is lost (could not renew within the deadline, or someone else holds it). */
  onStoppedLeading: () => void;
  onError?: (err: unknown) => void;
  now?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** RFC 3339 with microseconds, as the API server's MicroTime expects. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Whether a candidate that last saw the lease record change at `observedAtMs` may take it over at `nowMs`.
 * Expiry is judged by the candidate's own clock since it observed the record (like client-go), never by
 * comparing renewTime with a local clock: clocks of different machines disagree.
 */
export function leaseExpired(spec: LeaseSpec | undefined, observedAtMs: number, nowMs: number): boolean {
  if (!spec?.holderIdentity) return true;
  const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
  return nowMs > observedAtMs + durationMs;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease with optimistic concurrency (every write carries the
 * resourceVersion it read). Leadership is lost as soon as a renewal deadline passes without a successful
 * renewal; the callback fires at once so the caller stops acting before another replica can take over
 * (renewDeadline < leaseDuration).
 */
export class LeaderElector {
  private readonly timings: LeaderElectionTimings;
  private readonly now: () => number;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private lastRenewMs = 0;
  private observed: { key: string; atMs: number } | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timings = { ...DEFAULT_LEADER_TIMINGS, ...options.timings };
    this.now = options.now ?? Date.now;
    if (this.timings.renewDeadlineMs >= this.timings.leaseDurationMs) {
      throw new RangeError('renewDeadline must be shorter than leaseDuration');
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop = this.tick();
  }

  /** Stops campaigning; a leader releases the lease (so a successor need not wait) unless `release` is false. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
    if (this.leading) {
      this.leading = false;
      if (this.deadline) clearTimeout(this.deadline);
      if (options.release !== false) await this.release().catch((err) => this.options.onError?.(err));
      this.options.onStoppedLeading();
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.options.onError?.(err);
    }
    if (this.stopped) return;
    const now = this.now();
    if (ok) {
      this.lastRenewMs = now;
      this.armDeadline();
      if (!this.leading) {
        this.leading = true;
        this.options.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenewMs >= this.timings.renewDeadlineMs) {
      this.loseLeadership();
    }
    this.timer = setTimeout(() => {
      this.loop = this.tick();
    }, this.timings.retryPeriodMs);
  }

  /** Fires even while a renewal request hangs: the deadline is a promise to the other replicas. */
  private armDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = setTimeout(() => this.loseLeadership(), this.timings.renewDeadlineMs);
    this.deadline.unref();
  }

  private loseLeadership(): void {
    if (this.deadline) clearTimeout(this.deadline);
    if (!this.leading) return;
    this.leading = false;
    this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { rest, namespace, leaseName, identity } = this.options;
    const now = this.now();
    let lease: Lease | undefined;
    try {
      lease = await rest.get<Lease>(paths.lease(namespace, leaseName));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const durationSeconds = Math.max(1, Math.ceil(this.timings.leaseDurationMs / 1000));
    if (!lease) {
      try {
        await rest.create(paths.leases(namespace), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: leaseName, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const recordKey = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${lease.metadata.resourceVersion ?? ''}`;
    if (this.observed?.key !== recordKey) this.observed = { key: recordKey, atMs: now };
    const mine = spec.holderIdentity === identity;
    if (!mine && !leaseExpired(spec, this.observed.atMs, now)) return false;
    const next: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...lease.metadata },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      await rest.replace(paths.lease(namespace, leaseName), next);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { rest, namespace, leaseName, identity } = this.options;
    const lease = await rest.get<Lease>(paths.lease(namespace, leaseName));
    if (lease.spec?.holderIdentity !== identity) return;
    await rest.replace(paths.lease(namespace, leaseName), {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
    });
  }
}
