/**
 * A field kind: one module per kind of public field (`id.ts`, `long.ts`, `timestamp.ts`, …)
 * holds everything Vista derives from a field's kind: its GraphQL type and filter input, the
 * filter operators it offers, how a filter value of it is checked, what a cursor holds of it,
 * its PostgreSQL column and its Elasticsearch mapping. The registry (`kinds.ts`) lists them.
 */

import type { OperatorName } from './operators.ts';
import type { Value } from './values.ts';

/** PostgreSQL's column types, as field kinds and document tables use them. */
export type ColumnType =
  | 'text'
  | 'integer'
  | 'bigint'
  | 'double precision'
  | 'boolean'
  | 'timestamptz'
  | 'date'
  | 'jsonb';

/**
 * What a cursor value of a term may be: `int` a 32-bit integer, `integer` one up to 2^53 − 1
 * (PostgreSQL times as microseconds, since a JS Date keeps only ms; Elasticsearch gives
 * integers for every date and boolean sort value), `number` any finite number (floats, and a
 * search hit's score), `date` a calendar day as text (`2026-06-01`). A forged cursor whose value
 * the store would refuse to compare (1.5 or 1e-300 for a bigint, `x` for a date) is then the
 * client's error, not a failed statement.
 */
export type CursorType = 'int' | 'integer' | 'number' | 'string' | 'boolean' | 'date';

/**
 * One kind of public field. `K` is how a definition names it: a scalar's name, or an
 * enumeration (`EnumKind`).
 */
export interface FieldKindModule<K> {
  /** Its GraphQL type: `Long`, or an enumeration's own name. */
  graphqlType(kind: K): string;
  /** The name of its filter input: `LongFilter`, `TimestampFilter`, `OrderStatusFilter`. */
  filterInput(kind: K): string;
  /** How a filter's descriptions name a value of it: `Long`, `time (ISO-8601 with a zone)`. */
  says(kind: K): string;
  /** The operators its filter input offers, in the order it lists them. */
  readonly operators: readonly OperatorName[];
  /** GraphQL definitions it needs besides its filter (an enumeration's type). */
  typeDefs?(kind: K): string;
  /**
   * A filter value of it, checked against the kind and against what the stores can hold;
   * throws `InvalidInputError` (the client's mistake) otherwise. `field` names it in the message.
   */
  value(field: string, raw: unknown): Value;
  /** What a cursor value of it may be. */
  readonly cursor: CursorType;
  readonly postgres: {
    /** Its column type: of derived document columns, and of read parameters. */
    readonly column: ColumnType;
    /** Whether a bare column of that type is served as this kind (a view's default shape). */
    readonly bare?: boolean;
    /** How reads select it, when not as stored (a day as its text). */
    select?(column: string): string;
    /** How a cursor holds it, when not as selected: the expression, its type, and how it compares. */
    readonly cursor?: {
      readonly type: ColumnType;
      select(column: string): string;
      compare(parameter: string): string;
    };
  };
  readonly elasticsearch: {
    /** Its mapping in a derived index: `searched` in full text, filtered or sorted `exact`ly. */
    mapping(use: { readonly searched: boolean; readonly exact: boolean }): Record<string, unknown>;
  };
}
