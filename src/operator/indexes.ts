/** A secondary index: which cache keys belong to which node (pods, Jobs, NodeRemediations by node name). */
export class NodeIndex {
  private readonly byNode = new Map<string, Set<string>>();
  private readonly nodeOf = new Map<string, string>();

  set(key: string, node: string | undefined): void {
    this.delete(key);
    if (!node) return;
    this.nodeOf.set(key, node);
    let keys = this.byNode.get(node);
    if (!keys) this.byNode.set(node, (keys = new Set()));
    keys.add(key);
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const keys = this.byNode.get(node);
    keys?.delete(key);
    if (keys?.size === 0) this.byNode.delete(node);
  }

  keys(node: string): string[] {
    return [...(this.byNode.get(node) ?? [])];
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  clear(): void {
    this.byNode.clear();
    this.nodeOf.clear();
  }
}
