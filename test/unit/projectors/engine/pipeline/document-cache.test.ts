import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../../../../../projectors/engine/pipeline/document-cache.ts';

describe('DocumentCache', () => {
  it('splits keys into hits and misses, remembering known-absent keys as null', () => {
    const cache = new DocumentCache<string | null>(10);
    cache.set('a', 'A');
    cache.set('b', null);
    const { hits, misses } = cache.lookup(['a', 'b', 'c']);
    expect(Object.fromEntries(hits)).toEqual({ a: 'A', b: null });
    expect(misses).toEqual(['c']);
  });

  it('evicts the least recently used entry beyond its capacity', () => {
    const cache = new DocumentCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('forgets a deleted key and everything on clear', () => {
    const cache = new DocumentCache<number>(5);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
