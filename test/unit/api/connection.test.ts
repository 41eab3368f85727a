import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageSize, toConnection } from '../../../api/schema/connection.ts';

describe('Relay connections', () => {
  it('a cursor decodes to the sort key it was made from', () => {
    const cursor = encodeCursor('orders', [1767225600123456, 'o-1']);
    expect(decodeCursor(cursor, 'orders', ['number', 'string'])).toEqual([1767225600123456, 'o-1']);
  });

  it('is opaque: no readable key in it', () => {
    expect(encodeCursor('orders', [1, 'o-secret'])).not.toContain('o-secret');
  });

  it.each([
    ['another connection', encodeCursor('products', [1, 'o-1'])],
    ['another shape', encodeCursor('orders', ['1', 'o-1'])],
    ['too short', encodeCursor('orders', [1])],
    ['not base64 JSON', 'bm90IGpzb24'],
    ['garbage', '%%%'],
    ['oversized', 'A'.repeat(5000)],
  ])('refuses a cursor from %s as a client error', (_, cursor) => {
    expect(() => decodeCursor(cursor, 'orders', ['number', 'string'])).toThrow(/not a cursor/);
  });

  it.each([
    ['a number beyond 2^53 (1e300)', [1e300, 'o-1']],
    ['a fraction where a bigint goes', [1.5, 'o-1']],
    ['a NUL in a string part', [1, 'o\u0000-1']],
  ])('refuses a forged cursor holding %s as a client error', (_, key) => {
    const forged = Buffer.from(JSON.stringify(['orders', ...key])).toString('base64url');
    expect(() => decodeCursor(forged, 'orders', ['integer', 'string'])).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
    );
  });

  it('takes a fractional score where the shape says number', () => {
    const cursor = encodeCursor('products', [1.25, 'SKU-1']);
    expect(decodeCursor(cursor, 'products', ['number', 'string'])).toEqual([1.25, 'SKU-1']);
  });

  it('bounds first between 0 and 100, 20 when absent', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(null)).toBe(20);
    expect(pageSize(0)).toBe(0);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(101)).toThrow(/between 0 and 100/);
    expect(() => pageSize(-1)).toThrow(/between 0 and 100/);
  });

  it('uses the extra row only to say that a next page exists', () => {
    const page = toConnection(
      [1, 2, 3],
      2,
      (n) => `c${n}`,
      (n) => ({ n }),
    );
    expect(page).toEqual({
      edges: [
        { node: { n: 1 }, cursor: 'c1' },
        { node: { n: 2 }, cursor: 'c2' },
      ],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: 'c1', endCursor: 'c2' },
    });
    expect(toConnection([], 2, String, Number).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });
});
