/**
 * The storm the guard holds: its name (so an SRE can release exactly this storm), its explanation, and the
 * release. A storm begins when more nodes are affected than maxUnhealthy allows and ends when they are not; a
 * new leader adopts the storm the policy's status names if it still holds. The release is the policy's
 * chainmedic.io/release-storm annotation naming the current storm's id: it never carries over to the next one.
 */
import type { Logger } from 'pino';
import {
  DEFAULT_POLICY_NAME,
  RELEASE_STORM_ANNOTATION,
  REMEDIATION_POLICY_KIND,
  API_VERSION,
  type RemediationPolicyStatus,
} from '../api/index.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import { explainStorm, type NodeFacts, type StormExplanation } from '../remediation/storm.js';
import type { StormView } from '../remediation/types.js';
import type { OperatorMetrics } from '../server/index.js';
import type { CachedPolicy } from './trim.js';

interface Storm {
  id: string;
  since: number;
  explanation?: StormExplanation;
  releaseAnnounced?: boolean;
  announced?: boolean;
}

export type StormStatus = NonNullable<RemediationPolicyStatus['storm']>;

/** `storm-20261130t071500z`: readable, sortable, a valid annotation value. */
export function stormId(since: number): string {
  const t = new Date(since).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `storm-${t.replace(/[-:]/g, '').toLowerCase()}`;
}

export class StormTracker {
  private storm: Storm | undefined;
  /** Until the first observation of a term, a storm the policy's status names may be adopted. */
  private observed = false;

  constructor(
    private readonly o: {
      policy: () => CachedPolicy | undefined;
      recorder: EventRecorder;
      log: Logger;
      metrics?: OperatorMetrics;
      mayAct: () => boolean;
    },
  ) {}

  /** The guard holds (`active`) or not, as of `now`: begins, adopts or ends the storm. */
  observe(active: boolean, now: number): void {
    const first = !this.observed;
    this.observed = true;
    if (!active) {
      if (this.storm) {
        this.o.log.info({ storm: this.storm.id }, 'storm ended');
        this.o.metrics?.setStormGroups([]);
      }
      this.storm = undefined;
      return;
    }
    if (this.storm) return;
    // Only a new term adopts the storm the previous leader published; a storm this tracker saw end is over, even
    // while the policy's status still names it (it is published every few seconds).
    const previous = first ? this.o.policy()?.status?.storm : undefined;
    const since = previous ? Date.parse(previous.since) : NaN;
    this.storm = Number.isFinite(since) ? { id: previous!.id, since } : { id: stormId(now), since: now };
    this.o.log.warn({ storm: this.storm.id }, 'storm guard holding');
  }

  /** A new term of leadership: forget this tracker's storm; the next observation may adopt the published one. */
  newTerm(): void {
    this.storm = undefined;
    this.observed = false;
  }

  /** What the gates see; announces a release once per storm (and leader). */
  view(): StormView | undefined {
    const s = this.storm;
    if (!s) return undefined;
    const released = this.released(s);
    if (released && !s.releaseAnnounced && this.o.mayAct()) {
      s.releaseAnnounced = true;
      this.announceRelease(s);
    }
    const annotation = this.releaseAnnotation();
    return {
      id: s.id,
      released,
      ...(annotation && !released ? { otherRelease: annotation.slice(0, 63) } : {}),
      ...(s.explanation ? { headline: s.explanation.headline } : {}),
    };
  }

  since(): number | undefined {
    return this.storm?.since;
  }

  /** Explains the current storm from the affected nodes' and the fleet's facts (nothing without a storm). */
  explain(affected: readonly NodeFacts[], fleet: readonly NodeFacts[]): void {
    const s = this.storm;
    if (!s) return;
    s.explanation = explainStorm(affected, fleet);
    this.o.metrics?.setStormGroups(s.explanation.groups);
    if (!s.announced && this.o.mayAct()) {
      s.announced = true;
      this.event(
        'StormGuard',
        `${affected.length} of ${fleet.length} linux nodes are affected: the storm guard holds (storm ${s.id}). ` +
          `${s.explanation.headline} To let remediation proceed at maxConcurrent until this storm ends: ` +
          `kubectl annotate remediationpolicy ${DEFAULT_POLICY_NAME} ${RELEASE_STORM_ANNOTATION}=${s.id} --overwrite`,
      );
    }
  }

  status(): StormStatus | undefined {
    const s = this.storm;
    if (!s) return undefined;
    const e = s.explanation;
    return {
      id: s.id,
      since: new Date(s.since).toISOString(),
      ...(this.released(s) ? { released: true } : {}),
      ...(e ? { suspect: e.suspect, headline: e.headline, groups: e.groups.slice(0, 10) } : {}),
    };
  }

  private releaseAnnotation(): string | undefined {
    return this.o.policy()?.metadata.annotations?.[RELEASE_STORM_ANNOTATION];
  }

  private released(s: Storm): boolean {
    return this.releaseAnnotation() === s.id;
  }

  private announceRelease(s: Storm): void {
    this.o.log.warn({ storm: s.id }, 'storm released by annotation');
    this.event(
      'StormReleased',
      `Storm ${s.id} released (${RELEASE_STORM_ANNOTATION}): remediation proceeds at maxConcurrent while it ` +
        `lasts, despite the storm guard.${s.explanation ? ` ${s.explanation.headline}` : ''}`,
    );
  }

  /** A Warning Event on the policy. */
  private event(reason: string, message: string): void {
    const policy = this.o.policy();
    void this.o.recorder.record({
      object: {
        apiVersion: API_VERSION,
        kind: REMEDIATION_POLICY_KIND,
        name: DEFAULT_POLICY_NAME,
        ...(policy?.metadata.uid ? { uid: policy.metadata.uid } : {}),
      },
      type: 'Warning',
      reason,
      message,
    });
  }
}
