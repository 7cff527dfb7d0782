/**
 * When the demo stops watching: every node settled and stayed so for a grace period, or the deadline passed
 * with some node still in progress. Pure: one look at the fleet and the time in, the next state out.
 */

export interface SettleInput {
  /** Nodes not settled at this look (empty: the whole fleet is settled). */
  unsettled: readonly string[];
  /** When the fleet was first seen settled in the current settled stretch (undefined: it was not). */
  settledSinceMs: number | undefined;
  nowMs: number;
  /** When the nodes were broken. */
  startMs: number;
  timeoutMs: number;
  /** How long a settled fleet is watched further, so a late misstep (a second restart) is still caught. */
  graceMs: number;
}

export type SettleState =
  | { kind: 'watching'; settledSinceMs: number | undefined }
  | { kind: 'settled'; settledSinceMs: number }
  /** The deadline passed while these nodes were still in progress. */
  | { kind: 'timedOut'; unsettled: readonly string[] };

/**
 * The deadline bounds settling, not the grace period: a fleet seen settled is watched to the end of its grace
 * even past the deadline, so a time-out always names the nodes that were still in progress.
 */
export function nextSettleState(input: SettleInput): SettleState {
  if (input.unsettled.length === 0) {
    const since = input.settledSinceMs ?? input.nowMs;
    if (input.nowMs - since >= input.graceMs) return { kind: 'settled', settledSinceMs: since };
    return { kind: 'watching', settledSinceMs: since };
  }
  if (input.nowMs - input.startMs >= input.timeoutMs) return { kind: 'timedOut', unsettled: input.unsettled };
  return { kind: 'watching', settledSinceMs: undefined };
}
