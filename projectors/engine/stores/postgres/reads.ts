import { ident } from '../../../../shared/clients/postgres.ts';
import { kindOf } from '../../definition/fields/kinds.ts';
import { operatorNamed } from '../../definition/fields/operators.ts';
import type { Value } from '../../definition/fields/values.ts';
import type { DerivedField, DerivedView } from '../../definition/public-view.ts';
import { type Condition, encodeCursor, type PageRequest, type SortTerm } from '../../definition/query.ts';
import type { SqlReads } from '../../support/sql-reads.ts';
import { type Connection, type Node, toConnection } from '../connection.ts';
import type { ViewReader } from '../store.ts';

type Row = Record<string, unknown>;

/** The type of a field's values in SQL: its kind's column type. */
const sqlType = (field: DerivedField) => kindOf(field.kind).postgres.column;
const column = (field: DerivedField, alias = 'v') => `${alias}.${ident(field.stored)}`;

/** Collects parameters: user values reach SQL only as `$n`. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** A parsed `where` as a SQL condition; each operator says what it compiles to (`fields/operators.ts`). */
export function compileWhere(condition: Condition, params: Params): string {
  switch (condition.kind) {
    case 'all':
    case 'any': {
      if (condition.of.length === 0) return condition.kind === 'all' ? 'TRUE' : 'FALSE';
      const parts = condition.of.map((c) => `(${compileWhere(c, params)})`);
      return parts.join(condition.kind === 'all' ? ' AND ' : ' OR ');
    }
    case 'op': {
      const type = sqlType(condition.field);
      const operator = operatorNamed(condition.op);
      if (!operator) throw new Error(`no filter operator ${condition.op}`);
      return operator.sql(
        {
          column: column(condition.field),
          param: (value) => params.add(value, type),
          params: (values) => params.add(values, `${type}[]`),
        },
        condition.value,
      );
    }
  }
}

/** How a term's value is selected as it is read (a day as its text). */
function selected(field: DerivedField): string {
  return kindOf(field.kind).postgres.select?.(column(field)) ?? column(field);
}

/** A term's cursor value as selected: microseconds for times (a JS Date keeps only ms). */
function cursorExpression(field: DerivedField): string {
  return kindOf(field.kind).postgres.cursor?.select(column(field)) ?? column(field);
}

/** A cursor's value of a term, as the term's column compares with it. */
function cursorParam(field: DerivedField, value: Value, params: Params): string {
  const cursor = kindOf(field.kind).postgres.cursor;
  if (!cursor) return params.add(value, sqlType(field));
  return cursor.compare(params.add(value, cursor.type));
}

/**
 * "After this cursor" in the page's order: a row comparison when every term runs the same
 * way (what a composite index serves), else the expanded lexicographic form.
 */
function keyset(order: readonly SortTerm[], cursor: readonly Value[], params: Params): string {
  const op = (term: SortTerm) => (term.direction === 'ASC' ? '>' : '<');
  if (order.every((t) => t.direction === order[0]?.direction)) {
    const columns = order.map((t) => column(t.field)).join(', ');
    const values = order.map((t, i) => cursorParam(t.field, cursor[i] as Value, params)).join(', ');
    return `(${columns}) ${op(order[0] as SortTerm)} (${values})`;
  }
  const values = order.map((t, i) => cursorParam(t.field, cursor[i] as Value, params));
  return order
    .map((term, i) => {
      const equal = order.slice(0, i).map((t, j) => `${column(t.field)} = ${values[j]}`);
      return `(${[...equal, `${column(term.field)} ${op(term)} ${values[i]}`].join(' AND ')})`;
    })
    .join(' OR ');
}

/**
 * Many parents as rows `p(p0, p1, …, page)` (their `join` values, numbered from 1) and the
 * conditions that join a row of the view to its parent.
 */
function parentsOf(
  join: readonly DerivedField[],
  parents: readonly (readonly Value[])[],
  params: Params,
): { from: string; on: string[] } {
  const arrays = join.map((field, i) =>
    params.add(
      parents.map((p) => p[i]),
      `${sqlType(field)}[]`,
    ),
  );
  const names = join.map((_, i) => `p${i}`);
  return {
    from: `unnest(${arrays.join(', ')}) WITH ORDINALITY AS p(${names.join(', ')}, page)`,
    on: join.map((field, i) => `${column(field)} = p.${names[i]}`),
  };
}

const reversed = (order: readonly SortTerm[]): SortTerm[] =>
  order.map((t) => ({ field: t.field, direction: t.direction === 'ASC' ? 'DESC' : 'ASC' }));

/**
 * Reads of one PostgreSQL view, all derived from its public shape: lookups by key, keyset
 * pages in any declared ordering, counts, and the pages of many parents in one query.
 */
export class PostgresViewReader implements ViewReader {
  private readonly select: string;
  private readonly relation: string;

  constructor(
    private readonly pool: SqlReads,
    readonly view: DerivedView,
  ) {
    this.relation = ident(view.name);
    this.select = view.fields.map((f) => `${selected(f)} AS ${ident(f.name)}`).join(', ');
  }

  /** Nodes by key (each key the key fields' values in order), in one query. */
  async lookup(keys: readonly (readonly Value[])[]): Promise<Map<string, Node>> {
    if (keys.length === 0) return new Map();
    const params = new Params();
    const { key } = this.view;
    const arrays = key.map((field, i) =>
      params.add(
        keys.map((k) => k[i]),
        `${sqlType(field)}[]`,
      ),
    );
    // One key field: `= ANY`, the plan of a hand-written lookup; a composite key joins the pairs.
    const names = key.map((_, i) => `k${i}`);
    const match =
      key.length === 1
        ? `WHERE ${column(key[0] as DerivedField)} = ANY(${arrays[0]})`
        : `JOIN unnest(${arrays.join(', ')}) AS k(${names.join(', ')}) ON ${key
            .map((field, i) => `${column(field)} = k.${names[i]}`)
            .join(' AND ')}`;
    const { rows } = await this.pool.query<Row>(
      `SELECT ${this.select} FROM ${this.relation} v ${match}`,
      params.values,
    );
    return new Map(rows.map((row) => [this.keyOf(row), this.toNode(row)]));
  }

  keyOf(node: Row): string {
    return JSON.stringify(this.view.key.map((f) => node[f.name]));
  }

  async page(request: PageRequest): Promise<Connection> {
    const params = new Params();
    const sql = this.pageSql(request, params, []);
    const { rows } = await this.pool.query<Row>(sql, params.values);
    return this.connection(rows, request, () => this.count(request.where));
  }

  async count(where: Condition): Promise<number> {
    const params = new Params();
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.relation} v WHERE ${compileWhere(where, params)}`,
      params.values,
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * The same page under many parents (`join` fields equal to each parent's values), in one
   * query: a LATERAL page per parent. `counts` answers their totalCounts, also in one query.
   */
  async pages(
    join: readonly DerivedField[],
    parents: readonly (readonly Value[])[],
    request: PageRequest,
    counts: (parent: readonly Value[]) => Promise<number>,
  ): Promise<Connection[]> {
    const params = new Params();
    const { from, on } = parentsOf(join, parents, params);
    const inner = this.pageSql(request, params, on);
    const { rows } = await this.pool.query<Row & { __page: number }>(
      `SELECT p.page::int AS __page, o.* FROM ${from}
         CROSS JOIN LATERAL (${inner}) o ORDER BY p.page`,
      params.values,
    );
    const byPage = new Map<number, Row[]>();
    for (const row of rows) {
      const page = byPage.get(row.__page);
      if (page) page.push(row);
      else byPage.set(row.__page, [row]);
    }
    return parents.map((parent, i) =>
      this.connection(byPage.get(i + 1) ?? [], request, () => counts(parent)),
    );
  }

  /** How many rows match `where` under each parent, in one query. */
  async counts(
    join: readonly DerivedField[],
    parents: readonly (readonly Value[])[],
    where: Condition,
  ): Promise<number[]> {
    const params = new Params();
    const { from, on } = parentsOf(join, parents, params);
    const { rows } = await this.pool.query<{ page: number; n: number }>(
      `SELECT p.page::int AS page,
              (SELECT count(*) FROM ${this.relation} v WHERE ${on.join(' AND ')} AND ${compileWhere(where, params)})::int AS n
         FROM ${from}`,
      params.values,
    );
    const byPage = new Map(rows.map((r) => [r.page, r.n]));
    return parents.map((_, i) => byPage.get(i + 1) ?? 0);
  }

  private pageSql(request: PageRequest, params: Params, extra: readonly string[]): string {
    const order = request.backward ? reversed(request.order) : request.order;
    const conditions = [...extra, `(${compileWhere(request.where, params)})`];
    if (request.cursor) conditions.push(`(${keyset(order, request.cursor, params)})`);
    const cursorColumns = request.order.map((t, i) => `${cursorExpression(t.field)} AS "__c${i}"`).join(', ');
    const orderBy = order.map((t) => `${column(t.field)} ${t.direction}`).join(', ');
    return `SELECT ${this.select}, ${cursorColumns} FROM ${this.relation} v
      WHERE ${conditions.join(' AND ')} ORDER BY ${orderBy} LIMIT ${params.add(request.limit + 1, 'int')}`;
  }

  private connection(rows: readonly Row[], request: PageRequest, total: () => Promise<number>): Connection {
    return toConnection(
      rows,
      request,
      (row) =>
        encodeCursor(
          request.signature,
          request.order.map((_, i) => row[`__c${i}`]),
        ),
      (row) => this.toNode(row),
      total,
    );
  }

  toNode(row: Row): Node {
    const node: Node = {};
    for (const field of this.view.fields) {
      const value = row[field.name];
      node[field.name] = value instanceof Date ? value.toISOString() : value;
    }
    return node;
  }
}
