/**
 * The documents (and lookup records) a writer has loaded or written lately, least recently
 * used first out. Sound only because one process owns a projection at a time: nobody else
 * changes its documents, so what this writer committed is what the store holds. A failed
 * commit leaves the store's state unknown, so the writer clears the cache.
 */
export class DocumentCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached value (null when the store is known not to hold the key), or undefined if not cached. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Splits `keys` into cached values and the keys still to load. */
  lookup(keys: readonly string[]): { hits: Map<string, V>; misses: string[] } {
    const hits = new Map<string, V>();
    const misses: string[] = [];
    for (const key of keys) {
      const value = this.get(key);
      if (value === undefined) misses.push(key);
      else hits.set(key, value);
    }
    return { hits, misses };
  }
}
