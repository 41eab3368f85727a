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
      /^ {2}GC: \d+ scavenges \d+ ms, [\d.]+ MB promoted \([\d.]+ KB per event\); \d+ full/,
    );
  });
});
