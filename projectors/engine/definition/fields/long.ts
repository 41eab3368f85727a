import { ORDERED } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';

/** A 64-bit integer (the Long scalar): money in cents, sums. */
export const long = scalarKind<'long'>({
  graphqlType: 'Long',
  operators: ORDERED,
  column: 'bigint',
  cursor: 'integer',
  mapping: 'long',
});
