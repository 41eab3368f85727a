import { ORDERED } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';

/** A calendar day, `YYYY-MM-DD` (the Date scalar); read as its text, never as a time of day. */
export const date = scalarKind<'date'>({
  graphqlType: 'Date',
  operators: ORDERED,
  column: 'date',
  cursor: 'date',
  mapping: 'date',
  postgres: {
    select: (column) => `${column}::text`,
    cursor: { type: 'date', select: (column) => `${column}::text`, compare: (parameter) => parameter },
  },
});
