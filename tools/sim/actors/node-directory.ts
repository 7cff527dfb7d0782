import type { SimHost } from './host.js';
import type { NodeIdentity } from './node-factory.js';

/** The simulated machines behind the Node objects: identity, host model (Linux only) and whether kubelet runs. */
export interface SimMachine {
  id: NodeIdentity;
  host: SimHost | undefined;
  ready: boolean;
}

export class NodeDirectory {
  private readonly machines = new Map<string, SimMachine>();
  private readonly readyListeners = new Set<(machine: SimMachine) => void>();

  add(machine: SimMachine): void {
    this.machines.set(machine.id.name, machine);
  }

  get(name: string): SimMachine | undefined {
    return this.machines.get(name);
  }

  mustGet(name: string): SimMachine {
    const machine = this.machines.get(name);
    if (!machine) throw new UnknownNodeError(name);
    return machine;
  }

  all(): SimMachine[] {
    return [...this.machines.values()];
  }

  names(): string[] {
    return [...this.machines.keys()];
  }

  /** Marks kubelet as running (or not) and tells the actors that wait for it. */
  setReady(name: string, ready: boolean): void {
    const machine = this.mustGet(name);
    if (machine.ready === ready) return;
    machine.ready = ready;
    for (const listener of this.readyListeners) listener(machine);
  }

  onReadyChange(listener: (machine: SimMachine) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }
}

export class UnknownNodeError extends Error {
  constructor(readonly node: string) {
    super(`no simulated node named ${JSON.stringify(node)}`);
  }
}
