import { describe, expect, it } from 'vitest';
import { describeGc, startGcSummary } from '../../../bench/support/gc-summary.ts';

describe('the benchmarks’ GC summary', () => {
  it('counts the scavenges of a stretch and what they promoted, from V8’s own statistics', () => {
    const collections = startGcSummary();
    // Objects kept across many scavenges are promoted; the rest die young.
    const kept: { n: number; s: string }[] = [];
    for (let i = 0; i < 400_000; i++) {
      const o = { n: i, s: `x${i}` };
      if (i % 4 === 0) kept.push(o);
    }
    const gc = collections.stop();
    expect(kept.length).toBe(100_000);
    expect(gc.scavenges).toBeGreaterThan(0);
    expect(gc.scavengeMs).toBeGreaterThan(0);
    // 100,000 kept objects of two fields and a string: several MB, most of it promoted.
    expect(gc.promotedBytes).toBeGreaterThan(1_000_000);
    expect(describeGc(gc, 400_000)).toMatch(
      /^ {2}GC: \d+ scavenges \d+ ms, [\d.]+ MB promoted \([\d.]+ KB per event, [\d.]+ MB of it large objects\); \d+ full/,
    );
  });

  it('tells large objects apart: their pages are moved, not copied', () => {
    const collections = startGcSummary();
    // Arrays of 100,000 numbers (an 800 KB backing store each, past V8's 128 KB regular object
    // size), kept while garbage allocated after them forces scavenges.
    const large = Array.from({ length: 10 }, (_, i) => new Array<number>(100_000).fill(i));
    let garbage: { i: number }[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      garbage.push({ i });
      if (garbage.length === 1000) garbage = [];
    }
    const gc = collections.stop();
    expect(large.every((a, i) => a.length === 100_000 && a[99_999] === i)).toBe(true);
    expect(garbage.length).toBeLessThan(1000);
    expect(gc.scavenges).toBeGreaterThan(0);
    expect(gc.promotedLargeBytes).toBeGreaterThanOrEqual(4_000_000);
  });
});
