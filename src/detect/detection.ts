import type { Detection } from '../remediation/types.js';
import type { PodClass } from './classify.js';
import type { PodLike } from './pod.js';

/**
 * Combines a pod's class with the signature match of its previous log into the node's Detection.
 * `match` is undefined while the log has not been read yet (not a verdict), null when it did not match.
 */
export function toDetection(
  pod: PodLike,
  podClass: PodClass,
  match: { line: string } | null | undefined,
  container: string,
  observedAt: string,
): Detection {
  if (podClass.kind !== 'suspect' || match === undefined) return { kind: 'none' };
  const podUid = pod.metadata?.uid ?? '';
  const podName = pod.metadata?.name ?? '';
  if (match === null) return { kind: 'unconfirmed', podUid, podName, restartCount: podClass.restartCount };
  return {
    kind: 'confirmed',
    podUid,
    podName,
    namespace: pod.metadata?.namespace ?? '',
    container,
    restartCount: podClass.restartCount,
    signature: match.line,
    observedAt,
  };
}
