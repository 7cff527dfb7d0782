import { HttpMethod } from '@kubernetes/client-node';
import type { EffectivePolicy } from '../config/policy.js';
import { classifyPod, LOG_LIMIT_BYTES, LOG_TAIL_LINES, matchSignature } from '../detect/index.js';
import { KubeApiError } from '../kube/errors.js';
import { paths } from '../kube/paths.js';
import type { KubeRest } from '../kube/rest.js';
import type { Detection } from '../remediation/index.js';
import type { TrimmedPod } from './trim.js';

interface Verdict {
  restartCount: number;
  /** The signatures the log was matched against: a policy change re-reads the log. */
  signatures: string;
  confirmed: { line: string; at: string } | null;
}

export interface DetectorOptions {
  rest: KubeRest;
  now?: () => number;
  /** Called once per (pod, restartCount) whose previous log did not match any signature. */
  onUnconfirmed?: (pod: TrimmedPod, restartCount: number) => void;
  onConfirmed?: (pod: TrimmedPod, restartCount: number, line: string) => void;
}

/**
 * Confirms a suspect pod by its previous container log, read ONCE per (pod uid, restartCount) with
 * previous=true and bounded by tailLines/limitBytes.
 */
export class LogDetector {
  private readonly verdicts = new Map<string, Verdict>(); // by pod uid
  private readonly now: () => number;

  constructor(private readonly options: DetectorOptions) {
    this.now = options.now ?? Date.now;
  }

  async detect(pod: TrimmedPod | undefined, policy: EffectivePolicy): Promise<Detection> {
    if (!pod || pod.metadata.deletionTimestamp) return { kind: 'none' };
    const cls = classifyPod(pod, policy);
    if (cls.kind !== 'suspect') return { kind: 'none' };
    const uid = pod.metadata.uid ?? '';
    const namespace = pod.metadata.namespace ?? policy.target.namespace;
    const signatures = policy.signatures.map((r) => r.source).join('\n');
    let verdict = this.verdicts.get(uid);
    if (!verdict || verdict.restartCount !== cls.restartCount || verdict.signatures !== signatures) {
      const log = await this.previousLog(namespace, pod.metadata.name, policy.target.container);
      if (log === null) {
        // No previous container (yet): not a verdict; the next restart brings one.
        return {
          kind: 'unconfirmed',
          podUid: uid,
          podName: pod.metadata.name,
          restartCount: cls.restartCount,
        };
      }
      const match = matchSignature(log, policy.signatures);
      verdict = {
        restartCount: cls.restartCount,
        signatures,
        confirmed: match ? { line: match.line, at: new Date(this.now()).toISOString() } : null,
      };
      this.verdicts.set(uid, verdict);
      if (match) this.options.onConfirmed?.(pod, cls.restartCount, match.line);
      else this.options.onUnconfirmed?.(pod, cls.restartCount);
    }
    if (!verdict.confirmed) {
      return { kind: 'unconfirmed', podUid: uid, podName: pod.metadata.name, restartCount: cls.restartCount };
    }
    return {
      kind: 'confirmed',
      podUid: uid,
      podName: pod.metadata.name,
      namespace,
      container: policy.target.container,
      restartCount: cls.restartCount,
      signature: verdict.confirmed.line,
      observedAt: verdict.confirmed.at,
    };
  }

  /** Pods whose latest verdict is "crash-looping, but not our signature". */
  unconfirmedPods(): number {
    let n = 0;
    for (const v of this.verdicts.values()) if (!v.confirmed) n++;
    return n;
  }

  forget(podUid: string): void {
    this.verdicts.delete(podUid);
  }

  private async previousLog(namespace: string, name: string, container: string): Promise<string | null> {
    try {
      return await this.options.rest.requestText(HttpMethod.GET, paths.podLog(namespace, name), {
        query: { container, previous: true, tailLines: LOG_TAIL_LINES, limitBytes: LOG_LIMIT_BYTES },
      });
    } catch (err) {
      if (err instanceof KubeApiError && (err.code === 400 || err.code === 404)) return null;
      throw err;
    }
  }
}
