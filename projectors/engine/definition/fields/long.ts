import { type FieldKindModule, ORDERED } from './field-kind.ts';
import { plainValue } from './values.ts';

/** A 64-bit integer (the Long scalar): money in cents, sums. */
export const long: FieldKindModule<'long'> = {
  graphqlType: () => 'Long',
  filterInput: () => 'LongFilter',
  says: () => 'Long',
  operators: ORDERED,
  value: plainValue,
  cursor: 'integer',
  postgres: { column: 'bigint', bare: true },
  elasticsearch: { mapping: () => ({ type: 'long' }) },
};
