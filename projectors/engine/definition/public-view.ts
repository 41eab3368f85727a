import type { CursorType } from './fields/field-kind.ts';
import { type FieldKind, kindOf } from './fields/kinds.ts';
import { camelCase, type PublicField, type PublicShape, pascalCase, snakeCase } from './public-shape.ts';

/**
 * A view as the API sees it: a projection's public shape checked against its storage, with
 * the names, stored fields and orderings derived from it. Pure: the API derives its schema and
 * reads from this; the engine its indexes.
 */

/**
 * How a store keeps a view, as far as its public shape needs to know: where each field is
 * stored and what the store can do with it. A store gives it with its targets (see
 * `DocumentTarget.layout`); a SQL projection's view is laid out by `sqlViewLayout`.
 */
export interface ShapeStorage {
  /** The store's name: the view's reads are that store's (the store registry's key). */
  readonly store: string;
  /** A document view: its one key field is the document id. */
  readonly document: boolean;
  /**
   * Where a field is stored, and the stored field that filters and sorts it exactly; a string
   * says why the store cannot serve it as declared.
   */
  place(
    field: string,
    declared: PublicField,
    key: boolean,
  ): { readonly stored: string; readonly exact: string } | string;
  /** It cannot sort on its key: a unique sortable field breaks ties (`PublicShape.tieBreaker`). */
  readonly needsTieBreaker: boolean;
  /** It serves full-text search over declared fields. */
  readonly searches: boolean;
  /** It reads the pages of many parents at once (relations of kind many). */
  readonly pagesRelations: boolean;
  /** The document field that hides a document when false (Elasticsearch), if any. */
  readonly visibleField?: string;
  /** What a cursor holds of a field of `kind` when the store sorts it otherwise than the kind says. */
  cursor?(kind: FieldKind): CursorType | undefined;
}

/**
 * A PostgreSQL view of columns named as its fields (snake_case, or `stored`): a SQL
 * projection's view, and the base of a document table's layout.
 */
export const sqlViewLayout: ShapeStorage = {
  store: 'postgres',
  document: false,
  place: (field, declared) => {
    const stored = declared.stored ?? snakeCase(field);
    return { stored, exact: stored };
  },
  needsTieBreaker: false,
  searches: false,
  pagesRelations: true,
};

export interface DerivedField {
  readonly name: string;
  readonly kind: FieldKind;
  readonly description: string;
  readonly nullable: boolean;
  readonly list: boolean;
  readonly filterable: boolean;
  readonly sortable: boolean;
  /** PostgreSQL column, or Elasticsearch document field (`_id` for the document key). */
  readonly stored: string;
  /** Elasticsearch: the field that filters and sorts exactly (a text field's keyword sub-field). */
  readonly exact: string;
  /** What a cursor value of it may be, in its store. */
  readonly cursor: CursorType;
}

/** Everything the API derives names and reads from. */
export interface DerivedView {
  readonly name: string;
  /** The store that keeps it (see `ShapeStorage.store`). */
  readonly storage: string;
  readonly shape: PublicShape;
  readonly type: string;
  readonly listField: string;
  readonly lookupField: string;
  readonly updatedField: string;
  readonly searchField: string | undefined;
  readonly fields: readonly DerivedField[];
  readonly key: readonly DerivedField[];
  readonly defaultOrder: readonly { field: DerivedField; direction: 'ASC' | 'DESC' }[];
  /** The document field that hides a document when false (Elasticsearch), if any. */
  readonly visibleField: string | undefined;
  /** The field that breaks ties in every ordering, when the store cannot sort on the key. */
  readonly tieBreaker: DerivedField | undefined;
  /** Whether its store reads pages of many parents at once (relations of kind many). */
  readonly pagesRelations: boolean;
}

export class PublicShapeError extends Error {
  readonly code = 'PUBLIC_SHAPE_INVALID';
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * Checks a shape against its storage and derives names and stored fields; throws a
 * PublicShapeError that names the view and the problem. Relations are checked when the API
 * sees every view (`checkRelations`).
 */
export function deriveView(name: string, shape: PublicShape, storage: ShapeStorage): DerivedView {
  const fail = (problem: string): never => {
    throw new PublicShapeError(`view ${name}: ${problem}`);
  };
  const type = shape.type ?? pascalCase(name);
  if (!GRAPHQL_NAME.test(type)) fail(`type ${type} is not a GraphQL name`);
  const fields: DerivedField[] = Object.entries(shape.fields).map(([field, declared]) => {
    if (!GRAPHQL_NAME.test(field)) fail(`field ${field} is not a GraphQL name`);
    const placed = storage.place(field, declared, shape.key.includes(field));
    if (typeof placed === 'string') return fail(placed);
    const { stored, exact } = placed;
    const nullable = declared.nullable ?? false;
    const list = declared.list ?? false;
    if ((declared.sortable || declared.filterable) && list)
      fail(`list field ${field} cannot be filtered or sorted`);
    if (declared.sortable && nullable) fail(`nullable field ${field} cannot be sortable (keyset cursors)`);
    return {
      name: field,
      kind: declared.kind,
      description: declared.description,
      nullable,
      list,
      filterable: declared.filterable ?? false,
      sortable: declared.sortable ?? false,
      stored,
      exact,
      cursor: storage.cursor?.(declared.kind) ?? kindOf(declared.kind).cursor,
    };
  });
  const byName = new Map(fields.map((f) => [f.name, f]));
  const field = (fieldName: string, what: string): DerivedField =>
    byName.get(fieldName) ?? fail(`${what} names ${fieldName}, which is not a field`);
  if (shape.key.length === 0) fail('has no key');
  const key = shape.key.map((k) => field(k, 'key'));
  if (key.some((k) => k.nullable || k.list)) fail('a key field is nullable or a list');
  if (storage.document && key.length !== 1) fail('a document view has one key field, the document id');
  let tieBreaker: DerivedField | undefined;
  if (storage.needsTieBreaker) {
    if (!shape.tieBreaker)
      fail(`${storage.store} cannot sort on the key: the view declares a tieBreaker (unique, sortable)`);
    tieBreaker = field(shape.tieBreaker as string, 'tieBreaker');
  }
  const defaultOrder = (shape.order?.by ?? []).flatMap((term) =>
    Object.entries(term).map(([f, direction]) => {
      const sorted = field(f, 'order');
      if (!sorted.sortable && !key.includes(sorted)) fail(`order field ${f} is not sortable`);
      return { field: sorted, direction };
    }),
  );
  for (const [arg, shortcut] of Object.entries(shape.list?.shortcuts ?? {})) {
    if (!GRAPHQL_NAME.test(arg)) fail(`shortcut ${arg} is not a GraphQL name`);
    field(shortcut.field, `shortcut ${arg}`);
  }
  for (const [arg, shortcut] of Object.entries(shape.lookup?.args ?? {})) {
    if (!key.includes(field(shortcut.field, `lookup argument ${arg}`)))
      fail(`lookup argument ${arg} is not a key`);
  }
  if (shape.lookup?.args && Object.keys(shape.lookup.args).length !== key.length) {
    fail('the lookup has one argument per key field');
  }
  for (const relation of Object.keys(shape.relations ?? {})) {
    if (byName.has(relation)) fail(`relation ${relation} has the name of a field`);
  }
  let searchField: string | undefined;
  if (shape.search) {
    if (!storage.searches) fail('full-text search needs a view in a store that searches (Elasticsearch)');
    for (const [f, weight] of Object.entries(shape.search.fields)) {
      if (field(f, 'search').kind !== 'string') fail(`search field ${f} is not a string`);
      if (!(weight > 0)) fail(`search field ${f} has weight ${weight}`);
    }
    for (const [arg, shortcut] of Object.entries(shape.search.shortcut?.args ?? {})) {
      if (!field(shortcut.field, `search shortcut ${arg}`).filterable)
        fail(`search shortcut ${arg} is not filterable`);
    }
    searchField = `search${type}`;
  }
  const singular = camelCase(type);
  const listField = camelCase(name);
  const lookupField = shape.lookup?.name ?? (singular === listField ? `${singular}ByKey` : singular);
  // A keyset order is total only with a unique last term: the key (or the ES tie-breaker).
  const last = tieBreaker ?? (key.length === 1 ? key[0] : undefined);
  const ordered =
    defaultOrder.length > 0
      ? defaultOrder
      : last
        ? [{ field: last, direction: 'ASC' as const }]
        : key.map((k) => ({ field: k, direction: 'ASC' as const }));
  return {
    name,
    storage: storage.store,
    shape,
    type,
    listField,
    lookupField,
    updatedField: `${shape.lookup?.name ?? singular}Updated`,
    searchField,
    fields,
    key,
    defaultOrder: ordered,
    visibleField: storage.visibleField,
    tieBreaker,
    pagesRelations: storage.pagesRelations,
  };
}

/** The Query fields a view adds: its list, its lookup, and its search and search shortcut when it has them. */
export function queryFields(view: DerivedView): string[] {
  return [view.listField, view.lookupField, view.searchField, view.shape.search?.shortcut?.name].filter(
    (field): field is string => field !== undefined,
  );
}

/** The tie-breaking terms appended to every ordering: the key fields (or an ES view's tie-breaker). */
export function tieBreakers(view: DerivedView): readonly DerivedField[] {
  return view.tieBreaker ? [view.tieBreaker] : view.key;
}

/** Throws when a relation names an unknown view or field, or a `one` relation misses the key. */
export function checkRelations(views: readonly DerivedView[]): void {
  const byName = new Map(views.map((v) => [v.name, v]));
  for (const view of views) {
    for (const [relation, declared] of Object.entries(view.shape.relations ?? {})) {
      const fail = (problem: string): never => {
        throw new PublicShapeError(`view ${view.name}: relation ${relation} ${problem}`);
      };
      const other = byName.get(declared.view) ?? fail(`names view ${declared.view}, which is not registered`);
      for (const [mine, theirs] of Object.entries(declared.on)) {
        if (!view.fields.some((f) => f.name === mine)) fail(`joins on ${mine}, not a field of ${view.name}`);
        const target = other.fields.find((f) => f.name === theirs) ?? fail(`joins on ${theirs}, not a field`);
        if (declared.kind === 'many' && !target.filterable && !other.key.includes(target)) {
          fail(`joins on ${theirs}, which ${other.name} does not declare filterable`);
        }
      }
      if (declared.kind === 'one') {
        const on = new Set(Object.values(declared.on));
        if (on.size !== other.key.length || !other.key.every((k) => on.has(k.name))) {
          fail(`of kind one joins on ${[...on].join(', ')}, not the key of ${other.name}`);
        }
      }
    }
  }
}

/**
 * The derived public view of a projection: its declared shape, else the default one its
 * target gives (a PostgreSQL table's columns); undefined for a projection that has neither,
 * which is projected but not served.
 */
export function viewOf<
  P extends {
    readonly name: string;
    readonly kind: 'document' | 'sql';
    readonly api?: PublicShape;
    readonly target?: ShapeTarget;
  },
>(projection: P): DerivedView | undefined {
  const target = projection.kind === 'document' ? projection.target : undefined;
  const api = projection.api ?? target?.defaultShape?.(projection.name);
  if (!api) return undefined;
  return deriveView(projection.name, api, target ? target.layout(api) : sqlViewLayout);
}

/** What a target says of the views kept in it (see `DocumentTarget`). */
export interface ShapeTarget {
  /** How the store lays out `shape`. */
  layout(shape: PublicShape): ShapeStorage;
  /** The public shape of a view that declares none; undefined: it is not served. */
  defaultShape?(name: string): PublicShape | undefined;
}
