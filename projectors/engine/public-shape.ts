/**
 * The public shape of a view: what its definition says about how readers see it (fields with
 * their kinds and descriptions, its key, what can be filtered and sorted, relations to other
 * views, full-text fields). Pure data and pure derivation only: views declare, the API derives
 * its schema, reads, loaders, cost rules and subscriptions from it.
 */

/** Kinds of a public field; `timestamp` is an ISO-8601 string, `date` is `YYYY-MM-DD`. */
export type ScalarKind = 'id' | 'string' | 'int' | 'long' | 'float' | 'boolean' | 'timestamp' | 'date';

/** An enumeration: its GraphQL name, description, and each value with its description. */
export interface EnumKind {
  readonly enum: string;
  readonly description: string;
  readonly values: Readonly<Record<string, string>>;
}

export type FieldKind = ScalarKind | EnumKind;

export interface PublicField {
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

/** Where the storage keeps a view, as far as the shape needs to know. */
export type ShapeStorage =
  | { readonly kind: 'postgres'; readonly columns?: ReadonlySet<string>; readonly document: boolean }
  | { readonly kind: 'elasticsearch'; readonly properties: Readonly<Record<string, unknown>> };

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
}

/** Everything the API derives names and reads from. */
export interface DerivedView {
  readonly name: string;
  readonly storage: ShapeStorage['kind'];
  readonly shape: PublicShape;
  readonly type: string;
  readonly listField: string;
  readonly lookupField: string;
  readonly updatedField: string;
  readonly searchField: string | undefined;
  readonly fields: readonly DerivedField[];
  readonly key: readonly DerivedField[];
  readonly defaultOrder: readonly { field: DerivedField; direction: 'ASC' | 'DESC' }[];
  /** Elasticsearch: the document field that hides a document when false. */
  readonly visibleField: string | undefined;
}

export class PublicShapeError extends Error {
  readonly code = 'PUBLIC_SHAPE_INVALID';
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function esExact(properties: Readonly<Record<string, unknown>>, stored: string): string | undefined {
  const mapping = properties[stored] as
    | { type?: string; fields?: Record<string, { type?: string }> }
    | undefined;
  if (!mapping) return undefined;
  if (mapping.type !== 'text') return stored;
  const keyword = Object.entries(mapping.fields ?? {}).find(([, sub]) => sub.type === 'keyword');
  return keyword ? `${stored}.${keyword[0]}` : undefined;
}

/**
 * Checks a shape against its storage and derives names and stored fields; throws a
 * PublicShapeError that names the view and the problem. Relations are checked when the API
 * sees every view (`checkRelations`).
 */
export function deriveView(
  name: string,
  shape: PublicShape,
  storage: ShapeStorage,
  visibleField?: string,
): DerivedView {
  const fail = (problem: string): never => {
    throw new PublicShapeError(`view ${name}: ${problem}`);
  };
  const type = shape.type ?? pascalCase(name);
  if (!GRAPHQL_NAME.test(type)) fail(`type ${type} is not a GraphQL name`);
  const fields: DerivedField[] = Object.entries(shape.fields).map(([field, declared]) => {
    if (!GRAPHQL_NAME.test(field)) fail(`field ${field} is not a GraphQL name`);
    const isKey = shape.key.includes(field);
    let stored = declared.stored ?? (storage.kind === 'postgres' ? snakeCase(field) : field);
    let exact = stored;
    if (storage.kind === 'postgres') {
      if (storage.document && isKey) stored = exact = 'id';
      else if (storage.columns && !storage.columns.has(stored))
        fail(`field ${field} has no column ${stored}`);
    } else if (isKey) {
      stored = exact = '_id';
      if (declared.filterable || declared.sortable)
        fail(`key ${field} is the document id: not filterable or sortable`);
    } else {
      if (!(stored in storage.properties)) fail(`field ${field} has no mapping ${stored}`);
      const exactField = esExact(storage.properties, stored);
      if (!exactField && (declared.filterable || declared.sortable)) {
        fail(`field ${field} is filtered or sorted but ${stored} has no keyword mapping`);
      }
      exact = exactField ?? stored;
    }
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
    };
  });
  const byName = new Map(fields.map((f) => [f.name, f]));
  const field = (fieldName: string, what: string): DerivedField =>
    byName.get(fieldName) ?? fail(`${what} names ${fieldName}, which is not a field`);
  if (shape.key.length === 0) fail('has no key');
  const key = shape.key.map((k) => field(k, 'key'));
  if (key.some((k) => k.nullable || k.list)) fail('a key field is nullable or a list');
  if (storage.kind !== 'postgres' || storage.document) {
    if (key.length !== 1) fail('a document view has one key field, the document id');
  }
  let tieBreaker: DerivedField | undefined;
  if (storage.kind === 'elasticsearch') {
    if (!shape.tieBreaker) fail('an Elasticsearch view declares a tieBreaker (unique, sortable)');
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
    if (storage.kind !== 'elasticsearch') fail('full-text search needs an Elasticsearch view');
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
    storage: storage.kind,
    shape,
    type,
    listField,
    lookupField,
    updatedField: `${shape.lookup?.name ?? singular}Updated`,
    searchField,
    fields,
    key,
    defaultOrder: ordered,
    visibleField,
  };
}

/** The tie-breaking terms appended to every ordering: the key fields (or an ES view's tie-breaker). */
export function tieBreakers(view: DerivedView): readonly DerivedField[] {
  if (view.storage === 'elasticsearch') {
    return view.fields.filter((f) => f.name === view.shape.tieBreaker);
  }
  return view.key;
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
 * The indexes a PostgreSQL document table needs beyond its declared ones so that every
 * filterable or sortable field is served by an index (each one `(column, id)`, as the sink
 * creates them): as document keys, for `PostgresTableTarget.indexes`. A field already leading a
 * declared index needs none.
 */
export function derivedIndexes(view: DerivedView, declared: readonly (readonly string[])[]): string[][] {
  if (view.storage !== 'postgres') return [];
  const leading = new Set(declared.map((columns) => snakeCase(columns[0] ?? '')));
  return view.fields
    .filter((f) => (f.filterable || f.sortable) && f.stored !== 'id' && !leading.has(f.stored))
    .map((f) => [f.stored === snakeCase(f.name) ? f.name : f.stored]);
}

/** The derived public view of a projection, or undefined when it declares no public shape. */
export function viewOf(projection: {
  readonly name: string;
  readonly kind: 'document' | 'sql';
  readonly api?: PublicShape;
  readonly target?: {
    readonly kind: string;
    readonly columns?: object;
    readonly properties?: object;
    readonly visibleField?: string;
  };
}): DerivedView | undefined {
  if (!projection.api) return undefined;
  const target = projection.kind === 'document' ? projection.target : undefined;
  if (target?.kind === 'elasticsearch') {
    return deriveView(
      projection.name,
      projection.api,
      { kind: 'elasticsearch', properties: (target.properties ?? {}) as Record<string, unknown> },
      target.visibleField,
    );
  }
  const columns = target?.columns ? new Set(Object.keys(target.columns).map(snakeCase)) : undefined;
  return deriveView(projection.name, projection.api, {
    kind: 'postgres',
    document: projection.kind === 'document',
    ...(columns ? { columns } : {}),
  });
}
