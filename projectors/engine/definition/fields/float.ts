import { type FieldKindModule, ORDERED } from './field-kind.ts';
import { plainValue } from './values.ts';

/** A double-precision number. */
export const float: FieldKindModule<'float'> = {
  graphqlType: () => 'Float',
  filterInput: () => 'FloatFilter',
  says: () => 'Float',
  operators: ORDERED,
  value: plainValue,
  cursor: 'number',
  postgres: { column: 'double precision', bare: true },
  elasticsearch: { mapping: () => ({ type: 'double' }) },
};
