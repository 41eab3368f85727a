import { ORDERED } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';

/** Text. Searched in full text when the view says so; filtered and sorted exactly. */
export const string = scalarKind<'string'>({
  graphqlType: 'String',
  operators: ORDERED,
  column: 'text',
  cursor: 'string',
  // Full text is a `text` field; one also filtered or sorted keeps its exact value as a keyword.
  mapping: ({ searched, exact }) =>
    !searched
      ? { type: 'keyword' }
      : exact
        ? { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } }
        : { type: 'text' },
});
