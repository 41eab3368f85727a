import { checkTime, unstorable } from '../../../../shared/events/storable.ts';

/** A value a filter, a key or a cursor holds. */
export type Value = string | number | boolean;

/** A value a client sent that no field can take: said as the client's mistake. */
export class InvalidInputError extends Error {
  readonly code = 'BAD_USER_INPUT';
}

/** Longest string a filter value may be. */
const MAX_STRING_VALUE = 1000;

/**
 * A filter value checked against what the stores can hold (GraphQL has checked its type): a
 * NUL or a string the size of a document is the client's mistake, said as such, not a failed
 * statement.
 */
export function plainValue(field: string, raw: unknown): Value {
  if (raw === null || raw === undefined) throw new InvalidInputError(`${field}: use isNull to match null`);
  if (typeof raw === 'string' && raw.length > MAX_STRING_VALUE) {
    throw new InvalidInputError(`${field}: a value is at most ${MAX_STRING_VALUE} characters`);
  }
  const problem = unstorable(raw);
  if (problem) throw new InvalidInputError(`${field}: ${problem.replace(/^\(root\): /, '')}`);
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw;
  throw new InvalidInputError(`${field}: not a value`);
}

/** A time with a zone that PostgreSQL can read (years 0001 to 9999). */
export function timeValue(field: string, raw: unknown): Value {
  if (raw === null || raw === undefined) throw new InvalidInputError(`${field}: use isNull to match null`);
  const problem = typeof raw === 'string' ? checkTime(raw) : 'is not a string';
  if (problem) {
    throw new InvalidInputError(
      `${field} takes an ISO-8601 time with a zone: ${JSON.stringify(raw)} ${problem}`,
    );
  }
  return raw as string;
}
