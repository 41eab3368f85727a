import type { DocumentTarget } from '../../definition/define.ts';
import {
  type PublicField,
  type PublicShape,
  type ScalarKind,
  snakeCase,
} from '../../definition/public-shape.ts';
import { type DerivedView, type ShapeStorage, sqlViewLayout } from '../../definition/public-view.ts';

/** SQL types a document column can have in PostgreSQL. */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'boolean' | 'timestamptz' | 'jsonb';

/** A document's column names; any name once the document type is forgotten (see `Projection`). */
type ColumnOf<Doc> = object extends Doc ? string : keyof Doc & string;

/**
 * A PostgreSQL table holding one row per document. The document is a flat record: each key
 * is a column (camelCase in TypeScript, snake_case in SQL), timestamps as ISO-8601 strings.
 */
export interface PostgresTableTarget<Doc = object> extends DocumentTarget {
  readonly kind: 'postgres';
  readonly columns: { readonly [K in keyof Doc & string]: ColumnType };
  /** Column lists (document keys) to index, e.g. `[['customerId', 'placedAt']]`. */
  readonly indexes?: readonly (readonly ColumnOf<Doc>[])[];
  /**
   * SQL condition over the snake_case columns that a row must meet to be shown by the public
   * view; rows that fail it are kept (they hold what is known) but not served.
   */
  readonly visibleWhen?: string;
}

/**
 * Keeps a document projection's documents as rows of a PostgreSQL table (one per generation),
 * served by a view named as the projection.
 *
 * @example
 *   target: postgresTable<OrderDoc>({ columns: { customerId: 'text', totalCents: 'bigint' },
 *     indexes: [['customerId']], visibleWhen: 'placed_at IS NOT NULL' })
 */
export function postgresTable<Doc>(
  target: Omit<PostgresTableTarget<Doc>, 'kind' | 'layout' | 'defaultShape'>,
): PostgresTableTarget<Doc> {
  return {
    kind: 'postgres',
    ...target,
    layout() {
      return postgresLayout(new Set(Object.keys(this.columns).map(snakeCase)));
    },
    defaultShape(name) {
      return defaultShape(name, this.columns, (this.indexes ?? []) as readonly (readonly string[])[]);
    },
  };
}

/**
 * How a document table lays out a view: the key is the `id` column, every other field the
 * column named as it (snake_case, or `stored`), which must be among `columns` when given.
 */
export function postgresLayout(columns?: ReadonlySet<string>): ShapeStorage {
  return {
    ...sqlViewLayout,
    document: true,
    place(field: string, declared: PublicField, key: boolean) {
      if (key) return { stored: 'id', exact: 'id' };
      const stored = declared.stored ?? snakeCase(field);
      if (columns && !columns.has(stored)) return `field ${field} has no column ${stored}`;
      return { stored, exact: stored };
    },
  };
}

const COLUMN_KINDS: Readonly<Record<string, ScalarKind>> = {
  text: 'string',
  integer: 'int',
  bigint: 'long',
  boolean: 'boolean',
  timestamptz: 'timestamp',
};

/**
 * The shape a PostgreSQL document projection gets when it declares none, from what its
 * definition already says: the document id as key, a field per column (jsonb columns are not
 * served), every field nullable (the columns do not say otherwise, so none is sortable), and
 * the columns that lead a declared index filterable.
 */
export function defaultShape(
  name: string,
  columns: Readonly<Record<string, string>>,
  indexes: readonly (readonly string[])[],
): PublicShape {
  const indexed = new Set(indexes.map((columns) => columns[0]));
  const fields: Record<string, PublicField> = {
    id: { kind: 'id', description: `The document id of the ${name} view.` },
  };
  for (const [field, type] of Object.entries(columns)) {
    const kind = COLUMN_KINDS[type];
    if (!kind || field === 'id') continue;
    fields[field] = {
      kind,
      description: `${field} (column ${snakeCase(field)} of the ${name} view).`,
      nullable: true,
      ...(indexed.has(field) ? { filterable: true } : {}),
    };
  }
  return {
    description: `A row of the ${name} view (its shape derived from the definition's columns).`,
    noun: { one: `${name} row`, many: `${name} rows` },
    key: ['id'],
    fields,
  };
}

/**
 * The indexes a PostgreSQL document table needs beyond its declared ones so that every
 * filterable or sortable field is served by an index (each one `(column, id)`, as the table
 * creates them): as document keys, for `PostgresTableTarget.indexes`. A field already leading a
 * declared index needs none.
 */
export function derivedIndexes(view: DerivedView, declared: readonly (readonly string[])[]): string[][] {
  const leading = new Set(declared.map((columns) => snakeCase(columns[0] ?? '')));
  return view.fields
    .filter((f) => (f.filterable || f.sortable) && f.stored !== 'id' && !leading.has(f.stored))
    .map((f) => [f.stored === snakeCase(f.name) ? f.name : f.stored]);
}
