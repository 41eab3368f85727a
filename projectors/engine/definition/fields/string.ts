import { type FieldKindModule, ORDERED } from './field-kind.ts';
import { plainValue } from './values.ts';

/** Text. Searched in full text when the view says so; filtered and sorted exactly. */
export const string: FieldKindModule<'string'> = {
  graphqlType: () => 'String',
  filterInput: () => 'StringFilter',
  says: () => 'String',
  operators: ORDERED,
  value: plainValue,
  cursor: 'string',
  postgres: { column: 'text', bare: true },
  elasticsearch: {
    // Full text is a `text` field; one also filtered or sorted keeps its exact value as a keyword.
    mapping: ({ searched, exact }) =>
      !searched
        ? { type: 'keyword' }
        : exact
          ? { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } }
          : { type: 'text' },
  },
};
