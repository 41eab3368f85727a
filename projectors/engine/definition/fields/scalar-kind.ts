import type { ColumnType, CursorType, FieldKindModule } from './field-kind.ts';
import type { OperatorName } from './operators.ts';
import { plainValue } from './values.ts';

/**
 * A scalar kind from what sets it apart; the rest follows: its filter input is named for its
 * GraphQL type (`LongFilter`), filter descriptions say that type, values are checked as plain
 * values, and a bare column of its type is served as it unless said otherwise.
 */
export function scalarKind<K extends string>(kind: {
  readonly graphqlType: string;
  readonly operators: readonly OperatorName[];
  readonly column: ColumnType;
  readonly cursor: CursorType;
  /** Its Elasticsearch field type, or how it maps (see `FieldKindModule.elasticsearch`). */
  readonly mapping: string | FieldKindModule<K>['elasticsearch']['mapping'];
  readonly bare?: boolean;
  readonly filterInput?: string;
  readonly says?: string;
  readonly value?: FieldKindModule<K>['value'];
  readonly postgres?: Omit<FieldKindModule<K>['postgres'], 'column' | 'bare'>;
}): FieldKindModule<K> {
  const { mapping } = kind;
  return {
    graphqlType: () => kind.graphqlType,
    filterInput: () => kind.filterInput ?? `${kind.graphqlType}Filter`,
    says: () => kind.says ?? kind.graphqlType,
    operators: kind.operators,
    value: kind.value ?? plainValue,
    cursor: kind.cursor,
    postgres: { column: kind.column, bare: kind.bare ?? true, ...kind.postgres },
    elasticsearch: { mapping: typeof mapping === 'string' ? () => ({ type: mapping }) : mapping },
  };
}
