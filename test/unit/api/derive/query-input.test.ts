import { describe, expect, it } from 'vitest';
import { parseOrder, parsePage, parseWhere, withShortcuts } from '../../../../api/derive/query-input.ts';
import { MAX_IN_VALUES } from '../../../../projectors/engine/definition/fields/operators.ts';
import { deriveView } from '../../../../projectors/engine/definition/public-view.ts';
import { encodeCursor } from '../../../../projectors/engine/definition/query.ts';
import { toConnection } from '../../../../projectors/engine/stores/connection.ts';
import { compileFilter } from '../../../../projectors/engine/stores/elasticsearch/reads.ts';
import { compileWhere } from '../../../../projectors/engine/stores/postgres/reads.ts';
import { postgresLayout } from '../../../../projectors/engine/stores/postgres/target.ts';

const view = deriveView(
  'orders',
  {
    type: 'Order',
    description: 'Orders.',
    noun: { one: 'order', many: 'orders' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'Id.' },
      customerId: { kind: 'id', description: 'c', filterable: true },
      totalCents: { kind: 'long', description: 't', filterable: true, sortable: true },
      placedAt: { kind: 'timestamp', description: 'p', filterable: true, sortable: true },
      shippedAt: { kind: 'timestamp', description: 's', filterable: true, nullable: true },
    },
    order: { by: [{ placedAt: 'DESC' }], says: 'newest first' },
  },
  postgresLayout(),
);

/** A parameter list as compileWhere fills it. */
function compiled(where: unknown) {
  const values: unknown[] = [];
  const params = {
    values,
    add(value: unknown, type: string) {
      values.push(value);
      return `$${values.length}::${type}`;
    },
  };
  return { sql: compileWhere(parseWhere(view, where), params as never), values };
}

describe('derived where, orderBy and cursors', () => {
  it('compiles every operator to SQL with the values as parameters only', () => {
    const attack = "'; DROP TABLE orders; --";
    const { sql, values } = compiled({
      customerId: { eq: attack, ne: attack, in: [attack], notIn: [attack] },
      totalCents: { lt: 1, lte: 2, gt: 3, gte: 4 },
      shippedAt: { isNull: true },
      or: [{ placedAt: { gt: '2026-01-01T00:00:00Z' } }, { and: [] }],
    });
    expect(sql).not.toContain('DROP');
    expect(sql).toContain('v."customer_id" = $1::text');
    expect(sql).toContain('v."customer_id" IS DISTINCT FROM $2::text');
    expect(sql).toContain('v."customer_id" = ANY($3::text[])');
    expect(sql).toContain('v."customer_id" <> ALL($4::text[])');
    expect(sql).toContain('v."total_cents" >= $8::bigint');
    expect(sql).toContain('v."shipped_at" IS NULL');
    expect(sql).toContain('v."placed_at" > $9::timestamptz');
    expect(values).toEqual([attack, attack, [attack], [attack], 1, 2, 3, 4, '2026-01-01T00:00:00Z']);
  });

  it('compiles to Elasticsearch filters with the values as DSL values', () => {
    // On the fields' exact (stored) names; this view's are columns.
    const filter = compileFilter(
      parseWhere(view, {
        customerId: { ne: 'c"1', in: ['a', 'b'] },
        totalCents: { gte: 5 },
        shippedAt: { isNull: false },
      }),
    );
    expect(filter).toEqual({
      bool: {
        filter: [
          { bool: { must_not: [{ term: { customer_id: { value: 'c"1' } } }] } },
          { terms: { customer_id: ['a', 'b'] } },
          { range: { total_cents: { gte: 5 } } },
          { exists: { field: 'shipped_at' } },
        ],
      },
    });
  });

  it.each([
    ['an unknown field', { nope: { eq: 1 } }, /nope is not a filterable field/],
    ['a field not declared filterable', { id: { eq: 'o' } }, /id is not a filterable field/],
    [
      'too many in values',
      { customerId: { in: Array.from({ length: MAX_IN_VALUES + 1 }, String) } },
      /at most 100/,
    ],
    ['a time without a zone', { placedAt: { gt: '2026-01-01' } }, /ISO-8601/],
    ['eq null', { customerId: { eq: null } }, /isNull/],
    ['a NUL character', { customerId: { in: ['a\u0000b'] } }, /NUL/],
    ['a time PostgreSQL cannot hold', { placedAt: { lt: '0000-01-01T00:00:00Z' } }, /0001/],
  ])('refuses %s as bad user input', (_, where, message) => {
    expect(() => parseWhere(view, where)).toThrow(message);
  });

  it('refuses a where nested too deep', () => {
    let where: Record<string, unknown> = { totalCents: { eq: 1 } };
    for (let i = 0; i < 20; i++) where = { and: [where] };
    expect(() => parseWhere(view, where)).toThrow(/nests/);
  });

  it('appends the key with the last direction, and refuses unknown or double terms', () => {
    const names = (order: ReturnType<typeof parseOrder>) =>
      order.map((t) => `${t.field.name} ${t.direction}`);
    expect(names(parseOrder(view, undefined))).toEqual(['placedAt DESC', 'id DESC']);
    expect(names(parseOrder(view, [{ totalCents: 'ASC' }]))).toEqual(['totalCents ASC', 'id ASC']);
    expect(() => parseOrder(view, [{ customerId: 'ASC' }])).toThrow(/not a sortable field/);
    expect(() => parseOrder(view, [{ totalCents: 'ASC', placedAt: 'DESC' }])).toThrow(/exactly one/);
  });

  it('takes shortcuts as eq, ignoring empty ones', () => {
    const where = withShortcuts(
      view,
      parseWhere(view, undefined),
      { customer: { field: 'customerId' } },
      {
        customer: 'c-1',
      },
    );
    expect(where).toMatchObject({
      kind: 'all',
      of: [
        { kind: 'all', of: [] },
        { op: 'eq', value: 'c-1' },
      ],
    });
    expect(
      withShortcuts(
        view,
        parseWhere(view, undefined),
        { customer: { field: 'customerId' } },
        { customer: '' },
      ),
    ).toEqual({ kind: 'all', of: [] });
  });

  it('accepts only cursors of the same view and ordering, and one direction of paging', () => {
    const where = parseWhere(view, undefined);
    const byTotal = parseOrder(view, [{ totalCents: 'DESC' }]);
    const page = parsePage(view, {}, false, byTotal, where);
    const cursor = encodeCursor(page.signature, [500, 'o-1']);
    expect(parsePage(view, { after: cursor }, false, byTotal, where).cursor).toEqual([500, 'o-1']);
    expect(parsePage(view, { before: cursor, last: 3 }, false, byTotal, where)).toMatchObject({
      backward: true,
      limit: 3,
    });
    const byTime = parseOrder(view, undefined);
    expect(() => parsePage(view, { after: cursor }, false, byTime, where)).toThrow(/not a cursor/);
    expect(() =>
      parsePage(view, { after: encodeCursor(page.signature, ['500', 'o-1']) }, false, byTotal, where),
    ).toThrow(/not a cursor/);
    expect(() => parsePage(view, { after: 'A'.repeat(5000) }, false, byTotal, where)).toThrow(/not a cursor/);
    expect(() => parsePage(view, { first: 2, last: 2 }, true, byTotal, where)).toThrow(/together/);
    expect(() => parsePage(view, { last: 101 }, false, byTotal, where)).toThrow(/between 0 and 100/);
    // first's schema default alone does not clash with last.
    expect(parsePage(view, { first: 20, last: 2 }, false, byTotal, where).limit).toBe(2);
  });

  it('makes cursors opaque, and refuses garbage as a client error', () => {
    const order = parseOrder(view, undefined);
    const page = parsePage(view, {}, false, order, parseWhere(view, undefined));
    expect(encodeCursor(page.signature, [1, 'o-secret'])).not.toContain('o-secret');
    for (const after of ['bm90IGpzb24', '%%%', encodeCursor(page.signature, [1])]) {
      expect(() => parsePage(view, { after }, false, order, parseWhere(view, undefined))).toThrow(
        /not a cursor/,
      );
    }
  });

  it('uses the extra row only to say that another page exists, in either direction', async () => {
    const total = async () => 3;
    const forward = toConnection(
      [1, 2, 3],
      { limit: 2, backward: false },
      (n) => `c${n}`,
      (n) => ({ n }),
      total,
    );
    expect(forward.edges).toEqual([
      { node: { n: 1 }, cursor: 'c1' },
      { node: { n: 2 }, cursor: 'c2' },
    ]);
    expect(forward.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: 'c1',
      endCursor: 'c2',
    });
    // Backwards, rows come nearest-first and the page is shown in the connection's order.
    const backward = toConnection(
      [3, 2, 1],
      { limit: 2, backward: true },
      (n) => `c${n}`,
      (n) => ({ n }),
      total,
    );
    expect(backward.edges.map((e) => e.node.n)).toEqual([2, 3]);
    expect(backward.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: 'c2',
      endCursor: 'c3',
    });
    expect(
      toConnection([], { limit: 2, backward: false }, String, Number, total).pageInfo.endCursor,
    ).toBeNull();
    expect(await forward.totalCount()).toBe(3);
  });
});
