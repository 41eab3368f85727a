import { EQUALITY } from './operators.ts';
import { scalarKind } from './scalar-kind.ts';

/** True or false. Compared for equality only. */
export const boolean = scalarKind<'boolean'>({
  graphqlType: 'Boolean',
  operators: EQUALITY,
  column: 'boolean',
  cursor: 'boolean',
  mapping: 'boolean',
});
