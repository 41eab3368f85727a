import { checkTime, unstorable, unstorableString } from '../../../../shared/events/storable.ts';
import type { ColumnType } from '../../definition/fields/field-kind.ts';
import type { DocumentRefusal } from '../../pipeline/fold.ts';
import { DocumentRefusedError } from '../../poison/classification.ts';

/**
 * What a document table's columns would refuse of a document, or change on its way in, said
 * before it is written. The writer asks it of every state a batch folds a document through
 * (pipeline/fold.ts), so an event whose document a column cannot hold is dead-lettered the
 * same way however the batches are cut: PostgreSQL, which sees only a batch's last state of
 * each document, cannot tell when a later event of the same batch replaced the value.
 *
 * A column takes its field kind's values and null: an `integer` a whole number from −2^31 to
 * 2^31 − 1 and a `bigint` one from −2^63 to 2^63 − 1 (PostgreSQL refuses 1.5 and anything past
 * them; a bigint past 2^53 − 1 is stored, and the API says on its row that GraphQL's Long cannot
 * carry it), a `double precision` any number, `text` a string without NUL (refused by
 * PostgreSQL) or lone surrogate (silently replaced by the driver), a `timestamptz` an ISO-8601
 * time with a zone in the years 0001–9999 (or a Date within them: what ISO-8601 and the API
 * share), a `date` a real day `YYYY-MM-DD` in those years, `jsonb` what event data may hold
 * (storable.ts: no NUL, lone surrogate, infinite number or integer past 2^53 − 1). A value of
 * another type is refused too, rather than read back as another (a number stored in `text`).
 */

/** Why a column of this type cannot hold the value, or undefined when it can. */
type ColumnCheck = (value: unknown) => string | undefined;

const INT_LEAST = -(2 ** 31);
const INT_MOST = 2 ** 31 - 1;

function integerProblem(value: unknown, least: number, most: number, range: string): string | undefined {
  if (typeof value !== 'number') return `${described(value)} is not a number`;
  if (!Number.isInteger(value)) return `${value} is not a whole number`;
  if (value < least || value > most) return `${value} is outside ${range}`;
  return undefined;
}

function textProblem(value: unknown): string | undefined {
  return typeof value === 'string' ? unstorableString(value) : `${described(value)} is not a string`;
}

// A day as its text, `YYYY-MM-DD`: the calendar and the years are checked as a time's.
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const CHECKS: Readonly<Record<ColumnType, ColumnCheck>> = {
  text: textProblem,
  integer: (value) => integerProblem(value, INT_LEAST, INT_MOST, 'integer (−2^31 to 2^31 − 1)'),
  // A number goes as its shortest decimal (String), which for −2^63 is −9223372036854776000,
  // past the range: the doubles PostgreSQL's bigint takes are ±(2^63 − 1024) and those between.
  bigint: (value) => integerProblem(value, -(2 ** 63) + 1024, 2 ** 63 - 1024, 'bigint (−2^63 to 2^63 − 1)'),
  // NaN and ±Infinity too: PostgreSQL's double precision keeps them.
  'double precision': (value) =>
    typeof value === 'number' ? undefined : `${described(value)} is not a number`,
  boolean: (value) => (typeof value === 'boolean' ? undefined : `${described(value)} is not a boolean`),
  timestamptz: (value) => {
    if (value instanceof Date) {
      const time = value.getTime();
      return Number.isNaN(time) ? 'is an invalid Date' : checkTime(value.toISOString());
    }
    if (typeof value !== 'string') return `${described(value)} is not an ISO-8601 time`;
    const problem = checkTime(value);
    return problem && `${JSON.stringify(value.slice(0, 40))} ${problem}`;
  },
  date: (value) => {
    if (typeof value !== 'string' || !DAY.test(value)) return `${described(value)} is not a day (YYYY-MM-DD)`;
    const problem = checkTime(`${value}T00:00Z`);
    return problem && `${value}: ${problem}`;
  },
  jsonb: (value) => unstorable(value),
};

/** storable.ts names a place inside a value by its path (`lines[0].sku: …`), a whole value `(root)`. */
function inside(field: string, problem: string): string {
  const ROOT = '(root): ';
  if (problem.startsWith(ROOT)) return `${field}: ${problem.slice(ROOT.length)}`;
  return problem.startsWith('[') ? `${field}${problem}` : `${field}.${problem}`;
}

/** A value as a refusal names it: short, whatever it is. */
function described(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a Date';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/**
 * A check of a document against the columns it is written to (document key → column type):
 * the first field a column cannot hold, named with its reason, or undefined. Fields that are
 * no column are not written, and not checked; nor are those holding what `previous` (the state
 * the document was folded from, which the table held or this check passed) holds.
 *
 * @example
 * const refusal = rowCheck({ price: 'integer', note: 'text' });
 * refusal({ price: 3_000_000_000, note: 'ok' }, null); // → 'price: 3000000000 is outside integer (−2^31 to 2^31 − 1)'
 */
export function rowCheck(
  columns: Readonly<Record<string, ColumnType>>,
): (doc: object, previous: object | null) => string | undefined {
  const checks = Object.entries(columns).map(([key, type]) => [key, type, CHECKS[type]] as const);
  return (doc, previous) => {
    for (const [key, type, check] of checks) {
      const value = (doc as Record<string, unknown>)[key];
      if (value === null || value === undefined) continue;
      if (previous !== null && value === (previous as Record<string, unknown>)[key]) continue;
      const problem = check(value);
      if (problem !== undefined) return type === 'jsonb' ? inside(key, problem) : `${key}: ${problem}`;
    }
    return undefined;
  };
}

/** The fold's check of a table's documents (DocumentStore.refusal); `table` names it in the refusal. */
export function tableRefusal(
  table: string,
  columns: Readonly<Record<string, ColumnType>>,
): DocumentRefusal<object> {
  const problemOf = rowCheck(columns);
  return (key, doc, previous) => {
    const problem = problemOf(doc, previous);
    if (problem === undefined) return undefined;
    return new DocumentRefusedError(
      'UNSTORABLE_DOCUMENT',
      `document ${key} cannot be stored in ${table}: ${problem}`,
      [key],
    );
  };
}
