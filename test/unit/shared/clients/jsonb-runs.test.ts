import { describe, expect, it } from 'vitest';
import { jsonbRuns } from '../../../../shared/clients/postgres.ts';

const MB = 1024 * 1024;

describe('jsonbRuns', () => {
  it('sends an ordinary batch as one run: each column one JSON array of its values, in order', () => {
    const rows = [
      { a: 'x"y\\z', b: [1, null, { c: 'é' }] },
      { a: null, b: undefined },
      { a: '', b: 0 },
    ];
    const runs = jsonbRuns(rows.length, [(r) => rows[r]?.a, (r) => rows[r]?.b]);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.start).toBe(0);
    expect(runs[0]?.end).toBe(3);
    expect(runs[0]?.arrays.map((text) => JSON.parse(text))).toEqual([
      ['x"y\\z', null, ''],
      [[1, null, { c: 'é' }], null, 0],
    ]);
    // No jsonb column: one run of every row.
    expect(jsonbRuns(5, [])).toEqual([{ start: 0, end: 5, arrays: [] }]);
  });

  it('cuts runs before a column passes 16 MB of JSON, a larger row alone in its own', () => {
    const sizes = [7, 7, 7, 20, 1, 1];
    const values = sizes.map((mb, i) => `${i}`.repeat(mb * MB));
    const runs = jsonbRuns(values.length, [(r) => values[r], () => 1]);
    expect(runs.map(({ start, end }) => [start, end])).toEqual([
      [0, 2],
      [2, 3],
      [3, 4],
      [4, 6],
    ]);
    for (const { start, end, arrays } of runs) {
      expect(JSON.parse(arrays[0] as string)).toEqual(values.slice(start, end));
      expect(JSON.parse(arrays[1] as string)).toEqual(values.slice(start, end).map(() => 1));
    }
  });
});
