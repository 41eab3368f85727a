/**
 * The documents (and lookup records) a writer has loaded or written lately, least recently
 * used first out. Sound only because one process owns a projection at a time: nobody else
 * changes its documents, so what this writer committed is what the store holds. A failed
 * commit leaves the store's state unknown, so the writer clears the cache.
 *
 * Recency is the Map's insertion order (a hit is moved to the end). The least recently used
 * are evicted in bulk, once the cache holds a sixteenth more than its capacity: a Map's first
 * key is found by walking past the holes its deletions left at the front, and evicting one
 * entry per insertion walked them again every time (7 µs per insertion at 20,000 documents,
 * against under 1 µs; bench/document-cache.ts).
 *
 * A key set again keeps its place: the writer sets a key only when it commits what it looked up
 * (which moved the key to the end) while preparing that batch, or when it caches what it just
 * loaded. Moving it again cost a delete and the hole it leaves: 2.4% of `orders`' main thread in
 * a catch-up, against 1.0% in place. A key the writer read from a batch still committing was not
 * looked up here, and keeps an older place: at worst it is evicted sooner and loaded again.
 */
export class DocumentCache<V> {
  private readonly entries = new Map<string, V>();
  /** How far beyond its capacity the cache grows before it evicts. */
  private readonly slack: number;

  constructor(private readonly capacity: number) {
    this.slack = Math.max(1, capacity >>> 4);
  }

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

  /** Caches `value`; a key not cached yet goes in as the most recently used, one cached keeps its place. */
  set(key: string, value: V): void {
    const size = this.entries.size;
    this.entries.set(key, value);
    if (this.entries.size > size && this.entries.size > this.capacity + this.slack)
      this.evictDownToCapacity();
  }

  private evictDownToCapacity(): void {
    let excess = this.entries.size - this.capacity;
    for (const key of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(key);
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
