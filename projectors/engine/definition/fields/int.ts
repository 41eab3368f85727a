import { type FieldKindModule, ORDERED } from './field-kind.ts';
import { plainValue } from './values.ts';

/** A 32-bit integer (GraphQL's Int): counts that stay small. */
export const int: FieldKindModule<'int'> = {
  graphqlType: () => 'Int',
  filterInput: () => 'IntFilter',
  says: () => 'Int',
  operators: ORDERED,
  value: plainValue,
  cursor: 'int',
  postgres: { column: 'integer', bare: true },
  elasticsearch: { mapping: () => ({ type: 'integer' }) },
};
