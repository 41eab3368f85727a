import { EQUALITY } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';

/** An identifier: a key, or a reference to another view's key. Compared for equality only. */
export const id = scalarKind<'id'>({
  graphqlType: 'ID',
  operators: EQUALITY,
  column: 'text',
  // A text column is served as a string, not as an id.
  bare: false,
  cursor: 'string',
  mapping: 'keyword',
});
