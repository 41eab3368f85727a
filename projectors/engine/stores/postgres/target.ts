import type { DocumentTarget } from '../../definition/define.ts';
import type { ColumnType } from '../../definition/fields/field-kind.ts';
import { kindOf, kindOfColumn } from '../../definition/fields/kinds.ts';
import { type PublicField, type PublicShape, snakeCase } from '../../definition/public-shape.ts';
import { type DerivedView, type ShapeStorage, sqlViewLayout } from '../../definition/public-view.ts';

/** A document's column names; any name once the document type is forgotten (see `Projection`). */
type ColumnOf<Doc> = object extends Doc ? string : keyof Doc & string;

/**
 * A PostgreSQL table holding one row per document. The document is a flat record: each key
 * is a column (camelCase in TypeScript, snake_case in SQL), timestamps as ISO-8601 strings.
 */
export interface PostgresTableTarget<Doc = object> extends DocumentTarget {
  readonly kind: 'postgres';
  /**
   * Columns of the document keys the public shape does not derive: keys it does not serve,
   * structured values (`jsonb`), or a type of their own. Each public field is a column of its
   * kind's type (`fields/`), named as the field in snake_case; a view without a public shape
   * is served from these columns (`defaultShape`).
   */
  readonly columns?: { readonly [K in keyof Doc & string]?: ColumnType };
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
 *   // The public shape's fields are columns of their kinds; `notes` is stored, not served.
 *   target: postgresTable<OrderDoc>({ columns: { notes: 'jsonb' },
 *     indexes: [['customerId', 'placedAt']], visibleWhen: 'placed_at IS NOT NULL' })
 */
export function postgresTable<Doc>(
  target: Omit<PostgresTableTarget<Doc>, 'kind' | 'layout' | 'defaultShape'>,
): PostgresTableTarget<Doc> {
  return {
    kind: 'postgres',
    ...target,
    layout(shape) {
      return postgresLayout(new Set(Object.keys(tableColumns(this, shape)).map(snakeCase)));
    },
    defaultShape(name) {
      const columns = (this.columns ?? {}) as Readonly<Record<string, string>>;
      return defaultShape(name, columns, (this.indexes ?? []) as readonly (readonly string[])[]);
    },
  };
}

/**
 * A document table's columns, by document key: the declared ones, then one per public field
 * the declaration leaves out, of its kind's type (a list as `jsonb`). A field stored under a
 * column name of its own is not derived: its document key is not known here.
 */
export function tableColumns(
  target: Pick<PostgresTableTarget, 'columns'>,
  shape: PublicShape | undefined,
): Record<string, ColumnType> {
  const columns: Record<string, ColumnType> = { ...(target.columns as Record<string, ColumnType>) };
  for (const [name, field] of Object.entries(shape?.fields ?? {})) {
    if (shape?.key.includes(name) || name in columns) continue;
    if (field.stored !== undefined && field.stored !== snakeCase(name)) continue;
    columns[name] = field.list ? 'jsonb' : kindOf(field.kind).postgres.column;
  }
  return columns;
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
    const kind = kindOfColumn(type);
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
