/**
 * The policy the operator acts on: the `default` RemediationPolicy's effective spec, or paused while that spec
 * is invalid. The core's policy status says which in its one validity condition (Ready: InvalidPolicy).
 */
import type { Logger } from 'pino';
import { API_VERSION, DEFAULT_POLICY_NAME, REMEDIATION_POLICY_KIND } from '../api/index.js';
import { effectivePolicy, type EffectivePolicy, type PolicyResult } from '../config/policy.js';
import { errorMessage } from '../errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { CachedPolicy } from './trim.js';

export class PolicyState {
  /** What the operator acts on now. */
  current: EffectivePolicy = effectivePolicy(undefined);
  /** Why the spec is invalid (undefined: it is valid). */
  error: string | undefined;

  constructor(
    private readonly allowedImages: readonly string[],
    private readonly log: Logger,
  ) {}

  /** Reads the policy object again; true when its spec has a new problem (worth one Warning Event). */
  refresh(obj: CachedPolicy | undefined): boolean {
    try {
      this.current = effectivePolicy(obj?.spec, { allowedImages: this.allowedImages });
      this.error = undefined;
      return false;
    } catch (err) {
      // An invalid policy never loosens anything: act as if paused until it is fixed.
      const before = this.error;
      this.error = errorMessage(err);
      this.current = { ...effectivePolicy(undefined), paused: true };
      this.log.error(
        { policy: DEFAULT_POLICY_NAME, err: this.error },
        'invalid RemediationPolicy: acting as paused',
      );
      return this.error !== before;
    }
  }

  /** The validity the core's policy status reports. */
  result(): PolicyResult {
    return this.error === undefined
      ? { ok: true, policy: this.current }
      : { ok: false, errors: [this.error] };
  }

  /** One Warning Event on the policy for its current problem (none while the spec is valid). */
  warn(obj: CachedPolicy | undefined, recorder: EventRecorder): void {
    if (this.error === undefined || !obj) return;
    void recorder.record({
      object: {
        apiVersion: API_VERSION,
        kind: REMEDIATION_POLICY_KIND,
        name: obj.metadata.name,
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      type: 'Warning',
      reason: 'InvalidPolicy',
      message: `${this.error}; acting as if paused until it is fixed.`,
    });
  }
}
