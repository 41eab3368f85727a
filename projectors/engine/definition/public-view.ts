import {
  camelCase,
  type FieldKind,
  type PublicField,
  type PublicShape,
  pascalCase,
  type ScalarKind,
  snakeCase,
} from './public-shape.ts';

/**
 * A view as the API sees it: a projection's public shape checked against its storage, with
 * the names, stored fields and orderings derived from it. Pure: the API derives its schema and
 * reads from this; the engine its indexes.
 */

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
 * The derived public view of a projection: its declared shape, else (a PostgreSQL document
 * projection) the default one; undefined for other projections that declare none, which are
 * projected but not served.
 */
export function viewOf(projection: {
  readonly name: string;
  readonly kind: 'document' | 'sql';
  readonly api?: PublicShape;
  readonly target?: {
    readonly kind: string;
    readonly columns?: object;
    readonly indexes?: readonly (readonly string[])[];
    readonly properties?: object;
    readonly visibleField?: string;
  };
}): DerivedView | undefined {
  const target = projection.kind === 'document' ? projection.target : undefined;
  const columns = target?.kind === 'postgres' ? (target.columns as Record<string, string>) : undefined;
  const api =
    projection.api ?? (columns ? defaultShape(projection.name, columns, target?.indexes ?? []) : undefined);
  if (!api) return undefined;
  if (target?.kind === 'elasticsearch') {
    return deriveView(
      projection.name,
      api,
      { kind: 'elasticsearch', properties: (target.properties ?? {}) as Record<string, unknown> },
      target.visibleField,
    );
  }
  return deriveView(projection.name, api, {
    kind: 'postgres',
    document: projection.kind === 'document',
    ...(columns ? { columns: new Set(Object.keys(columns).map(snakeCase)) } : {}),
  });
}
