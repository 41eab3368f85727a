import { ORDERED } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';

/** A 32-bit integer (GraphQL's Int): counts that stay small. */
export const int = scalarKind<'int'>({
  graphqlType: 'Int',
  operators: ORDERED,
  column: 'integer',
  cursor: 'int',
  mapping: 'integer',
});
