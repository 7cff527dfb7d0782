/**
 * Secondary indexes of an informer's cache (controller-runtime's FieldIndexer): each named index maps an
 * object's key to one value (say, the node it runs on) and answers which keys hold a value. The informer
 * keeps them on every change it announces (list, watch and read-your-writes alike).
 */
export class Indexer<T> {
  private readonly indexes = new Map<string, Index<T>>();

  add(name: string, valueOf: (obj: T) => string | undefined, existing: Iterable<[string, T]>): void {
    if (this.indexes.has(name)) throw new Error(`index ${name} exists already`);
    const index = new Index(valueOf);
    for (const [key, obj] of existing) index.set(key, obj);
    this.indexes.set(name, index);
  }

  set(key: string, obj: T): void {
    for (const index of this.indexes.values()) index.set(key, obj);
  }

  delete(key: string): void {
    for (const index of this.indexes.values()) index.delete(key);
  }

  keys(name: string, value: string): string[] {
    return this.index(name).keys(value);
  }

  values(name: string): string[] {
    return this.index(name).values();
  }

  private index(name: string): Index<T> {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index ${name}`);
    return index;
  }
}

class Index<T> {
  private readonly byValue = new Map<string, Set<string>>();
  private readonly valueOfKey = new Map<string, string>();

  constructor(private readonly valueOf: (obj: T) => string | undefined) {}

  set(key: string, obj: T): void {
    this.delete(key);
    const value = this.valueOf(obj);
    if (!value) return;
    this.valueOfKey.set(key, value);
    let keys = this.byValue.get(value);
    if (!keys) this.byValue.set(value, (keys = new Set()));
    keys.add(key);
  }

  delete(key: string): void {
    const value = this.valueOfKey.get(key);
    if (value === undefined) return;
    this.valueOfKey.delete(key);
    const keys = this.byValue.get(value);
    keys?.delete(key);
    if (keys?.size === 0) this.byValue.delete(value);
  }

  keys(value: string): string[] {
    return [...(this.byValue.get(value) ?? [])];
  }

  values(): string[] {
    return [...this.byValue.keys()];
  }
}
