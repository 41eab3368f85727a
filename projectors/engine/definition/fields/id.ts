import { EQUALITY, type FieldKindModule } from './field-kind.ts';
import { plainValue } from './values.ts';

/** An identifier: a key, or a reference to another view's key. Compared for equality only. */
export const id: FieldKindModule<'id'> = {
  graphqlType: () => 'ID',
  filterInput: () => 'IDFilter',
  says: () => 'ID',
  operators: EQUALITY,
  value: plainValue,
  cursor: 'string',
  postgres: { column: 'text' },
  elasticsearch: { mapping: () => ({ type: 'keyword' }) },
};
