import { CHAINS_CONDITION_TYPE } from '../api/index.js';
import type { ChainsCondition } from '../remediation/types.js';
import { paths } from './paths.js';
import { STRATEGIC_MERGE_PATCH, type KubeRest } from './rest.js';

/**
 * Writes the operator's own Node condition. A strategic-merge patch on nodes/status merges `conditions` by
 * `type`: only this condition is written, kubelet's (Ready, MemoryPressure, ...) and other writers' (NPD) stay
 * as they are. Returns the Node as the server stored it.
 */
export function patchChainsCondition(
  rest: KubeRest,
  node: string,
  condition: ChainsCondition,
): Promise<unknown> {
  return rest.patch(paths.nodeStatus(node), STRATEGIC_MERGE_PATCH, {
    status: { conditions: [{ type: CHAINS_CONDITION_TYPE, ...condition }] },
  });
}
