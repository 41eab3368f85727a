import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_POSITIONS_HEADER } from '../../api/min-positions.ts';
import { shop } from '../../examples/shop/contract.ts';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import shopApp from '../../examples/shop/index.ts';
import {
  defineDocumentProjection,
  type Projection,
  postgresTable,
} from '../../projectors/engine/internal.ts';
import { type OutgoingEvent, publishEvent } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { startApiWith } from '../support/api.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import {
  expectedCustomerStats,
  expectedDailySales,
  expectedOrders,
  expectedProducts,
} from '../support/shop/model.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';
import { subscribeOverSse } from '../support/sse.ts';

interface Basket {
  customerId: string;
  lineCount: number;
  units: number;
  placedAt: string;
}

/**
 * A throwaway view defined here, as a user would add one: one definition with its public
 * shape, served by the API with no API code.
 */
const baskets = defineDocumentProjection(shop, {
  name: 'test_baskets',
  version: 1,
  sources: [{ stream: 'ORDERS' }],
  handles: ['orders.order_placed.v1'],
  key: (event) => event.data.orderId,
  evolve: (doc: Basket | null, event): Basket =>
    doc ?? {
      customerId: event.data.customerId,
      lineCount: event.data.lines.length,
      units: event.data.lines.reduce((sum, line) => sum + line.quantity, 0),
      placedAt: event.time,
    },
  target: postgresTable<Basket>({
    columns: { customerId: 'text', lineCount: 'integer', units: 'bigint', placedAt: 'timestamptz' },
  }),
  api: {
    type: 'Basket',
    description: 'How big each order is.',
    noun: { one: 'basket', many: 'baskets' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The order id.' },
      customerId: { kind: 'id', description: 'Who placed it.', filterable: true },
      lineCount: { kind: 'int', description: 'Lines.', filterable: true, sortable: true },
      units: { kind: 'long', description: 'Units over the lines.', filterable: true, sortable: true },
      placedAt: { kind: 'timestamp', description: 'When.', filterable: true, sortable: true },
    },
    order: { by: [{ placedAt: 'DESC' }], says: 'newest first' },
  },
});

type Edge<N> = { node: N; cursor: string };
type Page<N> = {
  edges: Edge<N>[];
  totalCount?: number;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
};
type Row = { id: string } & Basket;

/** The independent model of the throwaway view: the first placement of each order. */
function expectedBaskets(events: readonly OutgoingEvent[]): Map<string, Row> {
  const result = new Map<string, Row>();
  for (const { eventType, data, time } of events) {
    if (eventType.type !== 'orders.order_placed.v1') continue;
    const d = data as { orderId: string; customerId: string; lines: { quantity: number }[] };
    if (result.has(d.orderId)) continue;
    result.set(d.orderId, {
      id: d.orderId,
      customerId: d.customerId,
      lineCount: d.lines.length,
      units: d.lines.reduce((sum, line) => sum + line.quantity, 0),
      placedAt: new Date(time).toISOString(),
    });
  }
  return result;
}

const byKeys =
  <T>(...keys: [keyof T, 'ASC' | 'DESC'][]) =>
  (a: T, b: T) => {
    for (const [key, direction] of keys) {
      if (a[key] === b[key]) continue;
      const less = (a[key] as string | number) < (b[key] as string | number);
      return (less ? -1 : 1) * (direction === 'ASC' ? 1 : -1);
    }
    return 0;
  };

describe('GraphQL API derived from the views: a fresh view is served with no API code', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApiWith>>;
  let projections: ReturnType<typeof runProjections>;
  const history = [...demoHistory({ events: 3000, seed: 12 })];
  const all: Projection[] = [...shopApp.projections, baskets];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
    projections = runProjections(env, all);
    await waitForLiveViews(env, 9);
    api = await startApiWith(env, { projections: all });
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  const placeOrder = (orderId: string, quantity: number) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      id: orderId,
      time: new Date().toISOString(),
      source: '/test',
      data: { orderId, customerId: 'c-derived', lines: [{ productId: 'p-1', quantity, unitPriceCents: 10 }] },
    });

  /** Every page of a connection, forwards (`first`/`after`) or backwards (`last`/`before`). */
  async function pages<N>(field: string, args: string, selection: string, backward = false) {
    const nodes: N[] = [];
    let cursor: string | null = null;
    let totalCount = 0;
    for (let guard = 0; guard < 200; guard++) {
      const query = `query($c: String) { page: ${field}(${args} ${backward ? 'last: 9, before: $c' : 'first: 9, after: $c'}) {
          totalCount edges { cursor node { ${selection} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
      const { status, body } = await api.query<{ page: Page<N> }>(query, { c: cursor });
      expect(body.errors).toBeUndefined();
      expect(status).toBe(200);
      const page = body.data?.page as Page<N>;
      totalCount = page.totalCount ?? 0;
      if (backward) nodes.unshift(...page.edges.map((e) => e.node));
      else nodes.push(...page.edges.map((e) => e.node));
      const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
      if (!more) return { nodes, totalCount };
      cursor = backward ? page.pageInfo.startCursor : page.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  it('serves the throwaway view filtered, sorted and paged both ways, as the model says', async () => {
    const model = [...expectedBaskets(history).values()];
    const expected = model
      .filter((b) => b.units >= 4 && b.lineCount !== 2)
      .sort(byKeys<Row>(['units', 'DESC'], ['placedAt', 'ASC'], ['id', 'ASC']));
    expect(expected.length).toBeGreaterThan(20);
    const args = `where: { units: { gte: 4 }, lineCount: { ne: 2 } }, orderBy: [{ units: DESC }, { placedAt: ASC }]`;
    const selection = 'id customerId lineCount units placedAt';
    const forward = await pages<Row>('testBaskets', args, selection);
    expect(forward.nodes).toEqual(expected);
    expect(forward.totalCount).toBe(expected.length);
    const backward = await pages<Row>('testBaskets', args, selection, true);
    expect(backward.nodes).toEqual(expected);
    // Without orderBy: the declared default (newest first), the key breaking ties.
    const newest = model.sort(byKeys<Row>(['placedAt', 'DESC'], ['id', 'DESC'])).slice(0, 5);
    const { body } = await api.query<{ testBaskets: Page<Row> }>(
      `{ testBaskets(first: 5) { edges { node { ${selection} } } } }`,
    );
    expect(body.data?.testBaskets.edges.map((e) => e.node)).toEqual(newest);
  });

  it('combines and/or, in, notIn, ranges and isNull as the model does', async () => {
    const model = [...expectedBaskets(history).values()];
    const customers = [...new Set(model.map((b) => b.customerId))].slice(0, 3);
    const middle = model.map((b) => b.placedAt).sort()[Math.floor(model.length / 2)] as string;
    const expected = model
      .filter(
        (b) =>
          (customers.includes(b.customerId) || (b.units < 3 && b.placedAt > middle)) &&
          ![1, 3].includes(b.lineCount),
      )
      .map((b) => b.id)
      .sort();
    const { body } = await api.query<{ testBaskets: Page<{ id: string }> & { totalCount: number } }>(
      `query($customers: [ID!], $middle: String) { testBaskets(first: 100, orderBy: [{ units: ASC }], where: {
         or: [{ customerId: { in: $customers } }, { and: [{ units: { lt: 3 } }, { placedAt: { gt: $middle } }] }],
         lineCount: { notIn: [1, 3], isNull: false } }) { totalCount edges { node { id } } } }`,
      { customers, middle },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.testBaskets.totalCount).toBe(expected.length);
    expect(body.data?.testBaskets.edges.map((e) => e.node.id).sort()).toEqual(expected.slice(0, 100).sort());
  });

  it('looks a row up by key, reports the positions of the view, and waits for a client’s own write', async () => {
    const id = 'derived-ryw-1';
    const ack = await placeOrder(id, 7);
    const { body } = await api.query<{ basket: Row | null }>(
      `{ basket(id: "${id}") { id units lineCount } }`,
      {},
      { [MIN_POSITIONS_HEADER]: `ORDERS=${ack.seq}` },
    );
    expect(body.data?.basket).toEqual({ id, units: 7, lineCount: 1 });
    const positions = body.extensions?.positions as Record<string, Record<string, number>>;
    expect(Object.keys(positions)).toEqual(['test_baskets']);
    expect(positions.test_baskets?.ORDERS).toBeGreaterThanOrEqual(ack.seq);
    expect(body.extensions?.consistency).toMatchObject({ met: true, projections: ['test_baskets'] });
  });

  it('pushes basketUpdated over SSE when the throwaway view commits', async () => {
    const id = 'derived-live-1';
    const live = await subscribeOverSse(api.url, `subscription { basketUpdated(id: "${id}") { id units } }`);
    try {
      expect(await live.next()).toMatchObject({ data: { basketUpdated: null } });
      await placeOrder(id, 3);
      const update = await live.next(20_000);
      expect(update).toMatchObject({ data: { basketUpdated: { id, units: 3 } } });
      expect(Object.keys(update.extensions?.positions as object)).toEqual(['test_baskets']);
    } finally {
      live.close();
    }
  });

  it('serves daily_sales as dailySales, filtered on day and category and sorted by revenue', async () => {
    const model = [...expectedDailySales(history)].map(([key, v]) => {
      const [day, category] = key.split(' ') as [string, string];
      return { day, category, units: v.units, revenueCents: v.revenueCents };
    });
    const days = [...new Set(model.map((r) => r.day))].sort();
    const from = days[0] as string;
    const expected = model
      .filter((r) => r.day >= from && r.category !== 'uncategorized')
      .sort(byKeys<(typeof model)[number]>(['revenueCents', 'DESC'], ['day', 'DESC'], ['category', 'DESC']));
    const sales = await pages<(typeof model)[number]>(
      'dailySales',
      `where: { day: { gte: "${from}" }, category: { ne: "uncategorized" } }, orderBy: [{ revenueCents: DESC }]`,
      'day category units revenueCents',
    );
    expect(sales.nodes).toEqual(expected);
    const one = expected[0] as (typeof expected)[number];
    const { body } = await api.query(
      `{ dailySalesByKey(day: "${one.day}", category: "${one.category}") { day category units revenueCents } }`,
    );
    expect(body.data).toEqual({ dailySalesByKey: one });
  });

  it('serves customers with their orders as a batched relation connection', async () => {
    const customers = [...expectedCustomerStats(history).values()].sort(
      byKeys(['orderCount', 'DESC'], ['customerId', 'DESC']),
    );
    const orders = [...expectedOrders(history).values()];
    const { body } = await api.query<{
      customerStats: Page<{ customerId: string; orderCount: number; orders: Page<{ id: string }> }>;
    }>(
      `{ customerStats(first: 5, orderBy: [{ orderCount: DESC }]) { edges { node { customerId orderCount
           orders(first: 2, where: { status: { in: [PAID, SHIPPED] } }) { totalCount edges { node { id } } } } } } }`,
    );
    expect(body.errors).toBeUndefined();
    const edges = body.data?.customerStats.edges ?? [];
    expect(edges.map((e) => e.node.customerId)).toEqual(customers.slice(0, 5).map((c) => c.customerId));
    for (const { node } of edges) {
      const theirs = orders
        .filter((o) => o.customerId === node.customerId && ['PAID', 'SHIPPED'].includes(o.status))
        .sort(byKeys(['placedAt', 'DESC'], ['id', 'DESC']));
      expect(node.orders.totalCount).toBe(theirs.length);
      expect(node.orders.edges.map((e) => e.node.id)).toEqual(theirs.slice(0, 2).map((o) => o.id));
    }
  });

  it('serves the Elasticsearch view with term/range filters, sorts and search_after pages', async () => {
    const model = [...expectedProducts(history).values()];
    const category = model[0]?.category as string;
    const expected = model
      .filter((p) => p.category === category && p.priceCents >= 500)
      .sort(byKeys(['priceCents', 'DESC'], ['sku', 'DESC']))
      .map((p) => ({ id: p.id, sku: p.sku, priceCents: p.priceCents }));
    const found = await pages<{ id: string }>(
      'products',
      `where: { category: { eq: "${category}" }, priceCents: { gte: 500 } }, orderBy: [{ priceCents: DESC }]`,
      'id sku priceCents',
    );
    expect(found.nodes).toEqual(expected);
    expect(found.totalCount).toBe(expected.length);
    const word = String(model[0]?.name).split(' ')[0] as string;
    const { body } = await api.query<{ searchProduct: Page<{ id: string; category: string }> }>(
      `{ searchProduct(query: "${word}", where: { category: { eq: "${category}" } }, first: 100) { edges { node { id category } } } }`,
    );
    expect(body.errors).toBeUndefined();
    const hits = body.data?.searchProduct.edges ?? [];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((e) => e.node.category === category)).toBe(true);
  });

  it('answers bad input with GraphQL errors, never a 500', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['{ testBaskets(where: { nope: { eq: 1 } }) { totalCount } }', {}, /nope/],
      ['{ testBaskets(orderBy: [{ customerId: ASC }]) { totalCount } }', {}, /customerId/],
      ['{ testBaskets(first: 2, last: 2) { totalCount } }', {}, /together/],
      ['{ testBaskets(where: { units: { eq: "many" } }) { totalCount } }', {}, /Long/],
      ['{ testBaskets(orderBy: [{ units: ASC, lineCount: DESC }]) { totalCount } }', {}, /exactly one/],
      ['{ testBaskets(where: { placedAt: { gt: "yesterday" } }) { totalCount } }', {}, /ISO-8601/],
      [
        'query($ids: [ID!]) { testBaskets(where: { customerId: { in: $ids } }) { totalCount } }',
        { ids: Array.from({ length: 101 }, (_, i) => `c${i}`) },
        /at most 100/,
      ],
      ['{ dailySales(where: { day: { eq: "2026-13-40" } }) { totalCount } }', {}, /YYYY-MM-DD/],
      ['query($id: ID!) { basket(id: $id) { id } }', { id: 'a\u0000b' }, /NUL/],
      [
        'query($c: ID) { testBaskets(where: { customerId: { eq: $c } }) { totalCount } }',
        { c: 'a\u0000' },
        /NUL/,
      ],
    ];
    for (const [query, variables, message] of cases) {
      const { status, body } = await api.query(query, variables);
      expect(status, query).toBeLessThan(500);
      expect(body.errors?.[0]?.message, query).toMatch(message);
    }
    // A cursor of another ordering, or of another view, is refused.
    const { body } = await api.query<{ testBaskets: Page<unknown> }>(
      '{ testBaskets(first: 1, orderBy: [{ units: DESC }]) { pageInfo { endCursor } } }',
    );
    const cursor = body.data?.testBaskets.pageInfo.endCursor;
    for (const query of [
      '{ testBaskets(after: $c, orderBy: [{ units: ASC }]) { totalCount } }',
      '{ orders(after: $c) { totalCount } }',
      '{ testBaskets(before: $c, last: 1) { totalCount } }',
    ]) {
      const refused = await api.query(`query($c: String) ${query}`, { c: cursor });
      expect(refused.status).toBe(200);
      expect(refused.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/not a cursor returned by this connection/),
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });

  it('passes injection strings to every operator only as values', async () => {
    const attacks = [
      "'; DROP TABLE orders; --",
      '" OR 1=1 --',
      "x' OR 'a'='a",
      '{"match_all":{}}',
      '*',
      '\\',
      ') OR (1=1',
    ];
    const operators = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn'];
    const totals = await api.query<{
      testBaskets: { totalCount: number };
      products: { totalCount: number };
      dailySales: { totalCount: number };
    }>('{ testBaskets { totalCount } products { totalCount } dailySales { totalCount } }');
    const baskets = totals.body.data?.testBaskets.totalCount as number;
    const products = totals.body.data?.products.totalCount as number;
    const days = totals.body.data?.dailySales.totalCount as number;
    for (const attack of attacks) {
      for (const op of operators) {
        const value = op === 'in' || op === 'notIn' ? [attack] : attack;
        // IDs have no order: their filter takes eq, ne, in and notIn.
        const ordered = !['eq', 'ne', 'in', 'notIn'].includes(op);
        const { status, body } = await api.query<{
          testBaskets?: { totalCount: number };
          products: { totalCount: number };
          dailySales: { totalCount: number };
          searchProduct: { totalCount: number };
        }>(
          `query(${ordered ? '' : `$v: ${Array.isArray(value) ? '[ID!]' : 'ID'}, `}$s: ${Array.isArray(value) ? '[String!]' : 'String'}, $q: String) {
             ${ordered ? '' : `testBaskets(where: { customerId: { ${op}: $v } }) { totalCount }`}
             dailySales(where: { category: { ${op}: $s } }) { totalCount }
             products(where: { category: { ${op}: $s } }) { totalCount }
             searchProduct(query: $q, where: { sku: { ${op}: $s } }) { totalCount } }`,
          ordered ? { s: value, q: attack } : { v: value, s: value, q: attack },
        );
        expect(status).toBe(200);
        expect(body.errors, `${op} ${attack}`).toBeUndefined();
        // No customer id or category is such a string: each operator means what it says of it.
        const none = op === 'eq' || op === 'in';
        const everything = op === 'ne' || op === 'notIn';
        if (none) expect(body.data?.testBaskets?.totalCount).toBe(0);
        if (everything) expect(body.data?.testBaskets?.totalCount).toBe(baskets);
        if (none) expect(body.data?.dailySales.totalCount).toBe(0);
        if (everything) expect(body.data?.dailySales.totalCount).toBe(days);
        if (none) expect(body.data?.products.totalCount).toBe(0);
        if (everything) expect(body.data?.products.totalCount).toBe(products);
      }
    }
    const after = await api.query<{ orders: { totalCount: number } }>('{ orders { totalCount } }');
    expect(after.body.data?.orders.totalCount).toBe(expectedOrders(history).size + 2);
  });
});
