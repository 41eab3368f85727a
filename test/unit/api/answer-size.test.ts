import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBytes } from '../../../api/answer-size.ts';

describe('jsonBytes: the size of an answer as UTF-8 JSON, without serialising it', () => {
  it('equals the serialised size for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonBytes(value, Number.POSITIVE_INFINITY)).toBe(Buffer.byteLength(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('counts escapes, multi-byte characters and surrogates as JSON.stringify writes them', () => {
    for (const text of ['\u0000\u001f"\\\n', 'é€😀', '\ud800x', 'x\udc00']) {
      expect(jsonBytes({ text }, Number.POSITIVE_INFINITY)).toBe(Buffer.byteLength(JSON.stringify({ text })));
    }
  });

  it('stops as soon as the limit is passed, however large or deep the rest', () => {
    const huge = Array.from({ length: 1000 }, () => 'x'.repeat(1_000_000));
    const started = performance.now();
    expect(jsonBytes(huge, 4_000_000)).toBeGreaterThan(4_000_000);
    expect(performance.now() - started).toBeLessThan(500);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonBytes(deep, Number.POSITIVE_INFINITY)).toBe(200_000 + 6);
  });
});
