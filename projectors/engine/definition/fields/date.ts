import { type FieldKindModule, ORDERED } from './field-kind.ts';
import { plainValue } from './values.ts';

/** A calendar day, `YYYY-MM-DD` (the Date scalar); read as its text, never as a time of day. */
export const date: FieldKindModule<'date'> = {
  graphqlType: () => 'Date',
  filterInput: () => 'DateFilter',
  says: () => 'Date',
  operators: ORDERED,
  value: plainValue,
  cursor: 'date',
  postgres: {
    column: 'date',
    bare: true,
    select: (column) => `${column}::text`,
    cursor: { type: 'date', select: (column) => `${column}::text`, compare: (parameter) => parameter },
  },
  elasticsearch: { mapping: () => ({ type: 'date' }) },
};
