import { ORDERED } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';

/** A double-precision number. */
export const float = scalarKind<'float'>({
  graphqlType: 'Float',
  operators: ORDERED,
  column: 'double precision',
  cursor: 'number',
  mapping: 'double',
});
