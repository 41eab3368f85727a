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

  it('evicts the least recently used entries, down to its capacity, once it holds a sixteenth more', () => {
    const cache = new DocumentCache<number>(16);
    for (let i = 0; i < 17; i++) cache.set(`k${i}`, i);
    // One over: within the slack, nothing is evicted yet.
    expect(cache.size).toBe(17);
    // k0 is used again: k1 and k2 are now the least recently used.
    cache.get('k0');
    cache.set('k17', 17);
    expect(cache.size).toBe(16);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k2')).toBeUndefined();
    expect(cache.get('k0')).toBe(0);
    for (let i = 3; i <= 17; i++) expect(cache.get(`k${i}`)).toBe(i);
  });

  it('keeps the place of a key set again, and moves a key looked up to the most recently used', () => {
    const cache = new DocumentCache<number>(16);
    for (let i = 0; i < 16; i++) cache.set(`k${i}`, i);
    cache.set('k0', 100);
    cache.get('k1');
    // Two new keys: the cache evicts down to 16 once it holds 18, the two at the front.
    cache.set('k16', 16);
    cache.set('k17', 17);
    expect(cache.size).toBe(16);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k2')).toBeUndefined();
    expect(cache.get('k1')).toBe(1);
    expect(cache.get('k3')).toBe(3);
  });

  it('never holds more than its capacity and a sixteenth, however many keys pass through', () => {
    const cache = new DocumentCache<number>(1600);
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      cache.set(`k${i}`, i);
      if (i % 3 === 0) cache.get(`k${i >> 1}`);
      most = Math.max(most, cache.size);
    }
    expect(most).toBe(1700);
    // The most recently set keys are all there.
    for (let i = 20_000 - 1000; i < 20_000; i++) expect(cache.get(`k${i}`)).toBe(i);
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
