import { EQUALITY, type FieldKindModule } from './field-kind.ts';
import { plainValue } from './values.ts';

/** True or false. Compared for equality only. */
export const boolean: FieldKindModule<'boolean'> = {
  graphqlType: () => 'Boolean',
  filterInput: () => 'BooleanFilter',
  says: () => 'Boolean',
  operators: EQUALITY,
  value: plainValue,
  cursor: 'boolean',
  postgres: { column: 'boolean', bare: true },
  elasticsearch: { mapping: () => ({ type: 'boolean' }) },
};
