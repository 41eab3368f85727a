/**
 * The public shape of a view: what its definition says about how readers see it (fields with
 * their kinds and descriptions, its key, what can be filtered and sorted, relations to other
 * views, full-text fields). Pure data and pure derivation only: views declare, the API derives
 * its schema, reads, loaders, cost rules and subscriptions from it.
 */

import type { FieldKind } from './fields/kinds.ts';

export interface PublicField {
  /** Its kind (`fields/`): a scalar's name, or an enumeration. */
  readonly kind: FieldKind;
  readonly description: string;
  /** May be null (a timestamp not reached yet); not sortable then. */
  readonly nullable?: boolean;
  /** A list of values (Elasticsearch keyword arrays); never filterable or sortable. */
  readonly list?: boolean;
  /** Usable in `where`; the engine indexes it where the storage allows. */
  readonly filterable?: boolean;
  /** Usable in `orderBy`; the engine indexes it where the storage allows. */
  readonly sortable?: boolean;
  /** Where it is stored: a column (default: snake_case of the field) or a document field (default: its name). */
  readonly stored?: string;
}

/** A sort term: one field, ascending or descending. */
export type OrderTerm = Readonly<Record<string, 'ASC' | 'DESC'>>;

/** A shortcut argument: `status: OrderStatus` meaning `where: { status: { eq } }`. */
export interface ShortcutArgument {
  readonly field: string;
  readonly description: string;
}

/**
 * A field of this view's node that is rows of another view: `one` is the row whose key is
 * `on`'s values, `many` the rows whose `on` fields equal this row's (a connection with the same
 * `where` and `orderBy` as the view's own list).
 */
export interface PublicRelation {
  readonly view: string;
  readonly kind: 'one' | 'many';
  /** This view's field → the other view's field. */
  readonly on: Readonly<Record<string, string>>;
  readonly description: string;
  /** `many` only: shortcut arguments, named as the keys. */
  readonly shortcuts?: Readonly<Record<string, ShortcutArgument>>;
}

export interface PublicShape {
  /** The node type; default: the view name in PascalCase (`daily_sales` → `DailySales`). */
  readonly type?: string;
  readonly description: string;
  /** Words for generated descriptions, e.g. `{ one: 'order', many: 'orders' }`. */
  readonly noun: { readonly one: string; readonly many: string };
  /** The key fields; a composite key is several. Document projections: one field, the document id. */
  readonly key: readonly string[];
  readonly fields: Readonly<Record<string, PublicField>>;
  /** Order of a list without `orderBy`, and how to say it ("newest first"); default: by key. */
  readonly order?: { readonly by: readonly OrderTerm[]; readonly says: string };
  /** The list field: its description and shortcut arguments. */
  readonly list?: {
    readonly description?: string;
    readonly shortcuts?: Readonly<Record<string, ShortcutArgument>>;
  };
  /** The lookup by key: another field name, other argument names (argument → key field). */
  readonly lookup?: {
    readonly name?: string;
    readonly description?: string;
    readonly args?: Readonly<Record<string, ShortcutArgument>>;
  };
  readonly relations?: Readonly<Record<string, PublicRelation>>;
  /** Elasticsearch views: full-text fields with their weights, and an optional shortcut field. */
  readonly search?: {
    readonly fields: Readonly<Record<string, number>>;
    readonly description?: string;
    readonly shortcut?: {
      readonly name: string;
      readonly description: string;
      readonly query: string;
      readonly args: Readonly<Record<string, ShortcutArgument>>;
    };
  };
  /**
   * Elasticsearch views: a unique sortable field that breaks ties in sorts (Elasticsearch
   * cannot sort on `_id`).
   */
  readonly tieBreaker?: string;
  /** Descriptions that differ from the generated ones. */
  readonly texts?: { readonly connection?: string };
}

/** `daily_sales` → `DailySales`. */
export function pascalCase(name: string): string {
  return name
    .split(/[_\-\s]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/** `daily_sales` → `dailySales`; `DailySales` → `dailySales`. */
export function camelCase(name: string): string {
  const pascal = pascalCase(name);
  return (pascal[0]?.toLowerCase() ?? '') + pascal.slice(1);
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
