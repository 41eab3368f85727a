import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTime, MAX_EXACT_INTEGER, unstorable } from '../../../../shared/events/storable.ts';

describe('unstorable', () => {
  it('accepts what every store holds', () => {
    expect(
      unstorable({
        orderId: 'o1',
        lines: [{ quantity: 3, unitPriceCents: MAX_EXACT_INTEGER }, { delta: -MAX_EXACT_INTEGER }],
        price: 0.5,
        note: 'emoji 😀 and accents é',
        nothing: null,
        flag: true,
      }),
    ).toBeUndefined();
  });

  it('names the path of a string with a NUL character', () => {
    expect(unstorable({ lines: [{ sku: 'ok' }, { sku: 'a\u0000b' }] })).toBe(
      'lines[1].sku: contains a NUL character (U+0000)',
    );
  });

  it('refuses a NUL in an object key', () => {
    expect(unstorable({ meta: { 'a\u0000': 1 } })).toBe('meta: a key contains a NUL character (U+0000)');
  });

  it('refuses a lone surrogate, which has no UTF-8 form', () => {
    expect(unstorable({ name: 'x\ud800y' })).toMatch(/^name: contains a lone UTF-16 surrogate/);
    expect(unstorable({ name: 'x\udc00' })).toMatch(/^name: contains a lone UTF-16 surrogate/);
    expect(unstorable({ name: '\ud83d\ude00' })).toBeUndefined();
  });

  it('refuses integers one past ±(2^53 − 1), and huge doubles such as 1e300', () => {
    expect(unstorable({ total: MAX_EXACT_INTEGER + 1 })).toBe(
      'total: 9007199254740992 is beyond the exact integer range ±(2^53 − 1)',
    );
    expect(unstorable({ total: -(MAX_EXACT_INTEGER + 1) })).toMatch(/^total: -9007199254740992 /);
    expect(unstorable({ total: 1e300 })).toMatch(/^total: 1e\+300 is beyond/);
    expect(unstorable({ total: MAX_EXACT_INTEGER })).toBeUndefined();
  });

  it('refuses non-finite numbers and big bigints', () => {
    expect(unstorable({ x: Number.NaN })).toBe('x: NaN is not a finite number');
    expect(unstorable([Number.POSITIVE_INFINITY])).toBe('[0]: Infinity is not a finite number');
    expect(unstorable(2n ** 53n)).toMatch(/^\(root\): 9007199254740992 is beyond/);
    expect(unstorable(2n ** 53n - 1n)).toBeUndefined();
  });

  it('reports the first problem in document order', () => {
    expect(unstorable({ a: [1, 'x\u0000'], b: 2 ** 60 })).toBe('a[1]: contains a NUL character (U+0000)');
  });

  it('quotes keys that are not identifiers', () => {
    expect(unstorable({ 'line items': ['\u0000'] })).toBe(
      '["line items"][0]: contains a NUL character (U+0000)',
    );
  });

  it('walks a payload nested 100,000 deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}"a\\u0000"${']'.repeat(100_000)}`);
    expect(unstorable(deep)).toMatch(/contains a NUL character/);
  });

  it('ends on a value that contains itself (an upcaster can build one), and still finds what is wrong in it', () => {
    const cyclic: Record<string, unknown> = { name: 'ok' };
    cyclic.self = cyclic;
    expect(unstorable(cyclic)).toBeUndefined();
    cyclic.note = 'a\u0000b';
    expect(unstorable(cyclic)).toBe('note: contains a NUL character (U+0000)');
  });

  it('property: any JSON without a NUL, lone surrogate or unsafe integer is storable', () => {
    const safeString = fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000'));
    const safeNumber = fc.oneof(
      fc.integer({ min: -MAX_EXACT_INTEGER, max: MAX_EXACT_INTEGER }),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        safeString,
        safeNumber,
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(safeString, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(fc.property(value, (v) => unstorable(v) === undefined));
  });

  it('property: a value placed anywhere beyond a bound is found, at its path', () => {
    const bad = fc.oneof(
      fc.string().map((s) => `${s}\u0000${s}`),
      fc.bigInt({ min: 1n, max: 2n ** 70n }).map((n) => Number(2n ** 53n + n - 1n)),
      fc.bigInt({ min: 1n, max: 2n ** 70n }).map((n) => -Number(2n ** 53n + n - 1n)),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300),
    );
    const keys = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 0, maxLength: 5 });
    fc.assert(
      fc.property(keys, bad, (path, value) => {
        let doc: unknown = value;
        for (const key of [...path].reverse()) doc = key === 'c' ? [doc] : { [key]: doc };
        const expected = path
          .map((k) => (k === 'c' ? '[0]' : k))
          .join('.')
          .replaceAll('.[', '[');
        const found = unstorable(doc);
        return found?.startsWith(`${expected || '(root)'}: `) === true;
      }),
    );
  });

  it('property: an integer is storable exactly when its magnitude is at most 2^53 − 1', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), (n) => {
        const inside = n <= BigInt(MAX_EXACT_INTEGER) && n >= -BigInt(MAX_EXACT_INTEGER);
        return (unstorable(Number(n)) === undefined) === inside;
      }),
    );
  });
});

describe('checkTime', () => {
  it('accepts times with a zone inside 0001–9999', () => {
    for (const time of [
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.123456789Z',
      '2024-02-29T23:59:59+05:30',
      '0001-01-01T00:00:00Z',
      '0001-01-01T00:00:00-01:00',
      '9999-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59+01:00',
      '2026-01-01T10:20Z',
    ]) {
      expect(checkTime(time), time).toBeUndefined();
    }
  });

  it('refuses years outside 0001–9999 as written', () => {
    expect(checkTime('0000-01-01T00:00:00Z')).toBe('year 0000 is outside 0001–9999');
    expect(checkTime('+010000-01-01T00:00:00Z')).toMatch(/not an ISO-8601/);
    expect(checkTime('-000001-01-01T00:00:00Z')).toMatch(/not an ISO-8601/);
  });

  it('refuses an instant that leaves 0001–9999 once in UTC', () => {
    expect(checkTime('0001-01-01T00:30:00+01:00')).toBe('lies, in UTC, outside the years 0001–9999');
    expect(checkTime('9999-12-31T23:30:00-01:00')).toBe('lies, in UTC, outside the years 0001–9999');
  });

  it('refuses a time without a zone', () => {
    expect(checkTime('2026-01-01T00:00:00')).toBe('has no zone (Z or ±hh:mm)');
    expect(checkTime('2026-01-01T00:00:00.5')).toBe('has no zone (Z or ±hh:mm)');
  });

  it('reads the canonical UTC form (Date#toISOString) by its digits, with the same answers', () => {
    for (const time of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2000-02-29T12:00:00.000Z'])
      expect(checkTime(time), time).toBeUndefined();
    expect(checkTime('0000-01-01T00:00:00.000Z')).toBe('year 0000 is outside 0001–9999');
    expect(checkTime('2023-02-29T00:00:00.000Z')).toBe('day 2023-02-29 does not exist');
    expect(checkTime('2026-00-01T00:00:00.000Z')).toBe('month 00 does not exist');
    expect(checkTime('2026-01-00T00:00:00.000Z')).toBe('day 2026-01-00 does not exist');
    expect(checkTime('2026-01-01T24:00:00.000Z')).toMatch(/time of day/);
    expect(checkTime('2026-01-01T00:60:00.000Z')).toMatch(/time of day/);
    expect(checkTime('2026-01-01T00:00:60.000Z')).toMatch(/time of day/);
  });

  it('refuses dates and times that do not exist', () => {
    expect(checkTime('2023-02-29T00:00:00Z')).toBe('day 2023-02-29 does not exist');
    expect(checkTime('1900-02-29T00:00:00Z')).toBe('day 1900-02-29 does not exist');
    expect(checkTime('2000-02-29T00:00:00Z')).toBeUndefined();
    expect(checkTime('2026-13-01T00:00:00Z')).toBe('month 13 does not exist');
    expect(checkTime('2026-04-31T00:00:00Z')).toMatch(/does not exist/);
    expect(checkTime('2026-01-01T24:00:00Z')).toMatch(/time of day/);
    expect(checkTime('2026-01-01T23:59:60Z')).toMatch(/time of day/);
    expect(checkTime('2026-01-01T00:00:00+24:00')).toMatch(/zone/);
    expect(checkTime('yesterday')).toMatch(/not an ISO-8601/);
  });

  it('property: any instant in 0001–9999, as toISOString prints it, is accepted', () => {
    const first = new Date('0001-01-01T00:00:00.000Z').getTime();
    const last = new Date('9999-12-31T23:59:59.999Z').getTime();
    fc.assert(
      fc.property(fc.integer({ min: first, max: last }), (ms) => {
        return checkTime(new Date(ms).toISOString()) === undefined;
      }),
    );
  });

  it('property: year 0000 is refused whatever the rest of the time', () => {
    const rest = fc
      .integer({ min: 0, max: 365 * 86_400_000 - 1 })
      .map((ms) => new Date(Date.UTC(2001, 0, 1) + ms).toISOString().slice(4));
    fc.assert(fc.property(rest, (r) => checkTime(`0000${r}`) === 'year 0000 is outside 0001–9999'));
  });

  it('property: the accepted set agrees with the instant range at the lower bound', () => {
    // Around 0001-01-01T00:00Z, offsets of ±14 h decide whether the instant is inside.
    fc.assert(
      fc.property(
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.integer({ min: 0, max: 23 * 60 + 59 }),
        (offsetMinutes, wallMinutes) => {
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const wall = `${String(Math.floor(wallMinutes / 60)).padStart(2, '0')}:${String(wallMinutes % 60).padStart(2, '0')}`;
          const inside = wallMinutes - offsetMinutes >= 0;
          return (checkTime(`0001-01-01T${wall}:00${zone}`) === undefined) === inside;
        },
      ),
    );
  });
});
