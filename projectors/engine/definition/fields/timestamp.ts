import { ORDERED } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';
import { timeValue } from './values.ts';

/**
 * An instant, served as an ISO-8601 string (a String in GraphQL) and filtered with a zone.
 * PostgreSQL keeps microseconds, a JavaScript Date only milliseconds: a cursor holds the
 * microseconds, so a page never skips or repeats rows that differ below a millisecond.
 */
export const timestamp = scalarKind<'timestamp'>({
  graphqlType: 'String',
  filterInput: 'TimestampFilter',
  says: 'time (ISO-8601 with a zone)',
  operators: ORDERED,
  value: timeValue,
  column: 'timestamptz',
  cursor: 'integer',
  mapping: 'date',
  postgres: {
    cursor: {
      type: 'bigint',
      select: (column) => `(extract(epoch FROM ${column}) * 1000000)::bigint`,
      compare: (parameter) => `(timestamptz 'epoch' + ${parameter} * interval '1 microsecond')`,
    },
  },
});
