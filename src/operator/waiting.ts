import { SLOT_PHASES, type Phase } from '../api/index.js';

/**
 * Which NodeRemediations wait at the gate (Pending/Waiting) and which hold a slot, by cache key, so that a
 * freed slot or a lifted storm guard wakes exactly the waiting nodes instead of leaving them to their timer.
 * It remembers slot holders itself: the informer's `old` object may already be the operator's own write.
 */
export class GateWaiters {
  private readonly waiting = new Map<string, { node: string; reason: string | undefined }>();
  private readonly holding = new Set<string>();

  /** Records a remediation's latest state; true when it just gave up a slot. */
  observe(
    key: string,
    node: string | undefined,
    phase: Phase | undefined,
    reason: string | undefined,
  ): boolean {
    const atGate = phase === undefined || phase === 'Pending' || phase === 'Waiting';
    if (atGate && node) this.waiting.set(key, { node, reason });
    else this.waiting.delete(key);
    const holds = phase !== undefined && SLOT_PHASES.includes(phase);
    const held = this.holding.has(key);
    if (holds) this.holding.add(key);
    else this.holding.delete(key);
    return held && !holds;
  }

  /** Forgets a deleted remediation; true when it held a slot. */
  forget(key: string): boolean {
    this.waiting.delete(key);
    return this.holding.delete(key);
  }

  /** Nodes with a remediation at the gate, oldest entry first. */
  nodes(): string[] {
    return [...new Set([...this.waiting.values()].map((w) => w.node))];
  }

  /** True while some remediation waits for the storm guard. */
  heldByStormGuard(): boolean {
    for (const w of this.waiting.values()) if (w.reason === 'StormGuard') return true;
    return false;
  }
}
