import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayLiteral } from '../../shared/clients/postgres.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.cleanup();
});

/** Strings an array literal must keep as they are: its own syntax, escapes, blanks, non-ASCII. */
const awkward = [
  'plain',
  '"quoted"',
  'back\\slash',
  '\\"both\\"',
  'trailing\\',
  '{braces}',
  'a,b',
  ' spaced ',
  'tab\tnew\nline',
  'é 😀',
  '',
  'NULL',
  'null',
  '{}',
  '"',
  '\\',
];

/** The array PostgreSQL reads from `param` as `type[]`, element by element. */
async function roundTrip(param: unknown, type: string): Promise<unknown[]> {
  const { rows } = await env.infrastructure.pool.query(
    `SELECT e::text AS e FROM unnest($1::${type}[]) WITH ORDINALITY AS x(e, i) ORDER BY i`,
    [param],
  );
  return rows.map((row) => row.e);
}

describe("array literals built for a batch's columns", () => {
  it('carry text as node-postgres would: every awkward string, and null, come back as written', async () => {
    const values = [...awkward, null, ...awkward.map((s) => `${s}${s}`)];
    const literal = arrayLiteral(values);
    expect(typeof literal).toBe('string');
    expect(await roundTrip(literal, 'text')).toEqual(await roundTrip(values, 'text'));
    expect(await roundTrip(literal, 'text')).toEqual(values);
  });

  it('carry numbers and booleans unquoted, at their bounds', async () => {
    const bigints = [0, -1, 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, null, 42n];
    expect(await roundTrip(arrayLiteral(bigints), 'bigint')).toEqual([
      '0',
      '-1',
      '1',
      '9007199254740991',
      '-9007199254740991',
      null,
      '42',
    ]);
    const numerics = [0.1, -2.5, 1e-7, 123456789.125, null];
    expect(await roundTrip(arrayLiteral(numerics), 'numeric')).toEqual(await roundTrip(numerics, 'numeric'));
    const booleans = [true, false, null];
    expect(await roundTrip(arrayLiteral(booleans), 'boolean')).toEqual(['true', 'false', null]);
  });

  it('a value of a type the column cannot take fails as it would through node-postgres', async () => {
    for (const values of [[1.5], ['x'], [1e21]]) {
      const ours = await roundTrip(arrayLiteral(values), 'bigint').catch((e: { code?: string }) => e.code);
      const theirs = await roundTrip(values, 'bigint').catch((e: { code?: string }) => e.code);
      expect(ours).toBe('22P02');
      expect(theirs).toBe('22P02');
    }
  });

  it('leaves anything but scalars to node-postgres', () => {
    const withDate = ['a', new Date(0)];
    expect(arrayLiteral(withDate)).toBe(withDate);
    const nested = [['a'], ['b']];
    expect(arrayLiteral(nested)).toBe(nested);
    expect(arrayLiteral([])).toBe('{}');
  });
});
