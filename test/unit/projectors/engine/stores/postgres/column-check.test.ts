import { describe, expect, it } from 'vitest';
import { rowCheck } from '../../../../../../projectors/engine/stores/postgres/column-check.ts';

const check = rowCheck({
  t: 'text',
  i: 'integer',
  b: 'bigint',
  d: 'double precision',
  yes: 'boolean',
  at: 'timestamptz',
  day: 'date',
  j: 'jsonb',
});
const problem = (doc: object) => check(doc, null);

describe('rowCheck', () => {
  it('takes what each column holds as written, and null or a missing field anywhere', () => {
    for (const doc of [
      {
        t: 'text with ü and 🙂',
        i: 2 ** 31 - 1,
        b: -(2 ** 63) + 1024,
        d: Number.NaN,
        yes: false,
        at: '2026-01-01T00:00:00.123456+05:30',
        day: '2024-02-29',
        j: { lines: [{ sku: 'a', n: 1 }] },
      },
      { i: -(2 ** 31), b: 2 ** 63 - 1024, d: -1e300, at: '0001-01-01T00:00:00Z', day: '9999-12-31' },
      { b: 2 ** 53 + 2, d: Number.POSITIVE_INFINITY },
      { at: new Date('2026-06-01T00:00:00Z') },
      { t: null, i: undefined, j: null },
      { other: 'a\u0000b' },
    ]) {
      expect([doc, problem(doc)]).toEqual([doc, undefined]);
    }
  });

  it('refuses what PostgreSQL refuses or would change, naming the field', () => {
    expect(problem({ t: 'a\u0000b' })).toBe('t: contains a NUL character (U+0000)');
    expect(problem({ t: 'a\ud800b' })).toBe('t: contains a lone UTF-16 surrogate (no UTF-8 form)');
    expect(problem({ t: 42 })).toBe('t: 42 is not a string');
    expect(problem({ i: 2 ** 31 })).toBe('i: 2147483648 is outside integer (−2^31 to 2^31 − 1)');
    expect(problem({ i: -(2 ** 31) - 1 })).toBe('i: -2147483649 is outside integer (−2^31 to 2^31 − 1)');
    expect(problem({ i: 1.5 })).toBe('i: 1.5 is not a whole number');
    expect(problem({ i: '12' })).toBe('i: "12" is not a number');
    expect(problem({ b: 2 ** 63 })).toBe('b: 9223372036854776000 is outside bigint (−2^63 to 2^63 − 1)');
    // Sent as its shortest decimal, −9223372036854776000: past the range, though the double is −2^63.
    expect(problem({ b: -(2 ** 63) })).toBe('b: -9223372036854776000 is outside bigint (−2^63 to 2^63 − 1)');
    expect(problem({ b: Number.NaN })).toBe('b: NaN is not a whole number');
    expect(problem({ d: '1.5' })).toBe('d: "1.5" is not a number');
    expect(problem({ yes: 'true' })).toBe('yes: "true" is not a boolean');
    expect(problem({ at: '0000-12-31T00:00:00Z' })).toBe(
      'at: "0000-12-31T00:00:00Z" year 0000 is outside 0001–9999',
    );
    expect(problem({ at: '9999-12-31T23:00:00-05:00' })).toBe(
      'at: "9999-12-31T23:00:00-05:00" lies, in UTC, outside the years 0001–9999',
    );
    expect(problem({ at: '2026-01-01T00:00:00' })).toBe(
      'at: "2026-01-01T00:00:00" has no zone (Z or ±hh:mm)',
    );
    expect(problem({ at: new Date(Number.NaN) })).toBe('at: is an invalid Date');
    expect(problem({ at: 1_700_000_000_000 })).toBe('at: 1700000000000 is not an ISO-8601 time');
    expect(problem({ day: '2025-02-29' })).toBe('day: 2025-02-29: day 2025-02-29 does not exist');
    expect(problem({ day: '0000-01-01' })).toBe('day: 0000-01-01: year 0000 is outside 0001–9999');
    expect(problem({ day: '2026-01-01T00:00Z' })).toBe('day: "2026-01-01T00:00Z" is not a day (YYYY-MM-DD)');
    expect(problem({ j: { deep: ['a\u0000'] } })).toBe('j.deep[0]: contains a NUL character (U+0000)');
    expect(problem({ j: 'a\u0000' })).toBe('j: contains a NUL character (U+0000)');
    expect(problem({ j: [1, Number.NaN] })).toBe('j[1]: NaN is not a finite number');
    expect(problem({ j: { n: 2 ** 60 } })).toMatch(
      /^j\.n: 1152921504606847000 is beyond the exact integer range/,
    );
  });

  it('checks only the fields that changed from the state the document was folded from', () => {
    const previous = { i: 2 ** 31, t: 'ok' };
    expect(check({ ...previous, t: 'new' }, previous)).toBeUndefined();
    expect(check({ ...previous, i: 2 ** 31 + 1 }, previous)).toBe(
      'i: 2147483649 is outside integer (−2^31 to 2^31 − 1)',
    );
  });
});
