import { join } from 'node:path';
import { startOperatorProcess, type OperatorProcess } from '../bench/operator-process.js';

/**
 * Operator replicas under leader election, as child processes that can be SIGKILLed and started again. Each
 * start gets its own log file: results/soak/operator-<slot>-<n>.log.
 */
export class Replicas {
  private readonly procs: Array<OperatorProcess | undefined>;
  private readonly starts: number[];
  private readonly expected = new Set<number>();
  kills = 0;
  /** Exits nobody asked for (e.g. a replica that lost its lease may exit); they are restarted like a pod. */
  readonly selfExits: string[] = [];

  constructor(private readonly options: { count: number; kubeconfig: string; logDir: string }) {
    this.procs = new Array<OperatorProcess | undefined>(options.count).fill(undefined);
    this.starts = new Array<number>(options.count).fill(0);
  }

  async start(slot: number): Promise<void> {
    if (this.procs[slot]?.child.running()) return;
    this.starts[slot]!++;
    const logFile = join(this.options.logDir, `operator-${slot}-${this.starts[slot]}.log`);
    const proc = await startOperatorProcess({
      kubeconfig: this.options.kubeconfig,
      logFile,
      leaderElect: true,
    });
    this.procs[slot] = proc;
    void proc.child.exited.then((exit) => {
      if (!this.expected.has(proc.child.pid))
        this.selfExits.push(`${logFile}: exited by itself (${exit.signal ?? `code ${exit.code}`})`);
    });
  }

  async startAll(): Promise<void> {
    for (let slot = 0; slot < this.options.count; slot++) await this.start(slot);
  }

  /** SIGKILL to the replica's process group: no shutdown, no lease release. */
  async kill(slot: number): Promise<void> {
    const proc = this.procs[slot];
    if (!proc?.child.running()) return;
    this.expected.add(proc.child.pid);
    proc.child.signal('SIGKILL');
    await proc.child.exited;
    this.kills++;
  }

  running(slot: number): boolean {
    return this.procs[slot]?.child.running() === true;
  }

  /** The slot whose process holds the lease (its identity carries its pid), if any. */
  slotOfPid(pid: number | undefined): number | undefined {
    if (pid === undefined) return undefined;
    const slot = this.procs.findIndex((p) => p?.child.pid === pid && p.child.running());
    return slot >= 0 ? slot : undefined;
  }

  async stopAll(): Promise<void> {
    for (const p of this.procs) if (p) this.expected.add(p.child.pid);
    await Promise.all(this.procs.map((p) => p?.child.stop(5_000)));
  }

  get size(): number {
    return this.options.count;
  }
}

/** The pid in a leader identity `<hostname>-<pid>-<random>` (see src/operator/operator.ts). */
export function pidOfIdentity(identity: string | undefined): number | undefined {
  const match = identity ? /-(\d+)-[a-z0-9]+$/.exec(identity) : null;
  return match ? Number(match[1]) : undefined;
}
