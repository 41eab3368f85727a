import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_POSITIONS_HEADER } from '../../api/min-positions.ts';
import { readOnlyDatabaseUrl } from '../../api/read-only-role.ts';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { ProductAdded } from '../../examples/shop/events/catalog.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { createDedicatedClient } from '../../shared/clients/postgres.ts';
import { type OutgoingEvent, publishEvent } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { countingPool, startApiWith } from '../support/api.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';
import {
  type ExpectedOrder,
  expectedCustomerStats,
  expectedOrders,
  expectedProducts,
} from '../support/shop/model.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';

type Page<N> = {
  edges: { node: N; cursor: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

describe('GraphQL API: the contract over all views', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApi>>;
  let projections: ReturnType<typeof runProjections>;
  const history = [...demoHistory({ events: 5000, seed: 91 })];

  /** Publishes one event and returns the header that makes a query wait until it is projected. */
  const publish = async (event: Omit<OutgoingEvent, 'time' | 'source'> & { time?: string }) => {
    const ack = await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      time: new Date().toISOString(),
      source: '/test',
      ...event,
    });
    return { [MIN_POSITIONS_HEADER]: `${ack.stream}=${ack.seq}` };
  };

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
    projections = runProjections(env);
    await waitForLiveViews(env, 8);
    api = await startApi(env);
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it('order(id) equals the model; an unknown id is null; positions name the view read', async () => {
    const [id, expected] = [...expectedOrders(history)][7] as [string, ExpectedOrder];
    const { body } = await api.query(
      `{ order(id: "${id}") { id customerId status totalCents lineCount paidCents placedAt shippedAt cancelledAt }
         missing: order(id: "no-such-order") { id } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ order: expected, missing: null });
    const positions = body.extensions?.positions as Record<string, Record<string, number>>;
    expect(Object.keys(positions)).toEqual(['orders']);
    expect(Object.keys(positions.orders ?? {}).sort()).toEqual(['ORDERS', 'PAYMENTS']);
  });

  it('customer(id) equals the model, with its orders and positions of both views it read', async () => {
    const [id, expected] = [...expectedCustomerStats(history)][0] as [string, { orderCount: number }];
    const { body } = await api.query<{
      customer: Record<string, unknown> & { orders: { edges: unknown[] } };
    }>(
      `{ customer(id: "${id}") { customerId orderCount cancelledCount lifetimeSpendCents firstOrderAt lastOrderAt
         orders(first: 100) { edges { node { id customerId } } } } }`,
    );
    const { orders, ...stats } = body.data?.customer ?? { orders: { edges: [] } };
    expect(stats).toEqual(expected);
    expect(orders.edges).toHaveLength(expected.orderCount);
    expect(Object.keys(body.extensions?.positions as object).sort()).toEqual(['customer_stats', 'orders']);
  });

  it('nested customers and their order pages cost one query per level, not one per order (no N+1)', async () => {
    const counted = countingPool(env.infrastructure.pool);
    const separate = await startApiWith(env, { pool: counted.pool });
    try {
      const { body } = await separate.query<{
        orders: Page<{
          customerId: string;
          customer: {
            customerId: string;
            orderCount: number;
            orders: Page<{ id: string; placedAt: string }>;
          };
        }>;
      }>(
        `{ orders(first: 50) { edges { node { customerId
             customer { customerId orderCount orders(first: 3) { edges { node { id placedAt } } } } } } } }`,
      );
      expect(body.errors).toBeUndefined();
      const edges = body.data?.orders.edges ?? [];
      expect(edges).toHaveLength(50);
      expect(new Set(edges.map((e) => e.node.customerId)).size).toBeGreaterThan(10);
      // One page of orders, one batch of customers, one batch of their order pages.
      expect(counted.statements).toHaveLength(3);
      const all = [...expectedOrders(history).values()];
      for (const { node } of edges) {
        expect(node.customer.customerId).toBe(node.customerId);
        const newest = all
          .filter((o) => o.customerId === node.customerId)
          .sort((a, b) => b.placedAt.localeCompare(a.placedAt) || b.id.localeCompare(a.id))
          .slice(0, 3)
          .map((o) => o.id);
        expect(node.customer.orders.edges.map((e) => e.node.id)).toEqual(newest);
      }
    } finally {
      await separate.close();
    }
  });

  it('pages without gaps or repeats when orders share a millisecond (microsecond cursors)', async () => {
    const customerId = 'c-same-ms';
    let header: Record<string, string> = {};
    for (const micros of ['000001', '000002', '000003', '000004']) {
      header = await publish({
        eventType: OrderPlaced,
        id: `same-ms-${micros}`,
        time: `2026-03-01T10:00:00.${micros}Z`,
        data: {
          orderId: `same-ms-${micros}`,
          customerId,
          lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 100 }],
        },
      });
    }
    const walk = async (field: 'top' | 'nested') => {
      const ids: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const query =
          field === 'top'
            ? `query($after: String) { page: orders(customerId: "${customerId}", first: 1, after: $after) {
                 edges { node { id } } pageInfo { hasNextPage endCursor } } }`
            : `query($after: String) { customer(id: "${customerId}") { page: orders(first: 1, after: $after) {
                 edges { node { id } } pageInfo { hasNextPage endCursor } } } }`;
        const { body } = await api.query<{
          page?: Page<{ id: string }>;
          customer?: { page: Page<{ id: string }> };
        }>(query, { after }, header);
        expect(body.errors).toBeUndefined();
        const connection = (body.data?.page ?? body.data?.customer?.page) as Page<{ id: string }>;
        ids.push(...connection.edges.map((e) => e.node.id));
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      return ids;
    };
    const expected = ['same-ms-000004', 'same-ms-000003', 'same-ms-000002', 'same-ms-000001'];
    expect(await walk('top')).toEqual(expected);
    expect(await walk('nested')).toEqual(expected);
  });

  it('refuses a cursor of another connection or a forged one', async () => {
    const { body } = await api.query<{ searchProducts: Page<unknown> }>(
      '{ searchProducts(first: 1) { pageInfo { endCursor } } }',
    );
    const productCursor = body.data?.searchProducts.pageInfo.endCursor as string;
    for (const after of [productCursor, 'forged', Buffer.from('["orders",1]').toString('base64url')]) {
      const refused = await api.query(
        'query($after: String) { orders(after: $after) { edges { cursor } } }',
        {
          after,
        },
      );
      expect(refused.body.errors?.[0]).toMatchObject({
        message: 'after is not a cursor returned by this connection',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });

  it('product(id) equals the model; an id never added is null', async () => {
    const [id, expected] = [...expectedProducts(history)][0] as [string, object];
    const { body } = await api.query(
      `{ product(id: "${id}") { id sku name description category priceCents tags stock unitsSold } missing: product(id: "nope") { id } }`,
    );
    expect(body.data).toEqual({ product: expected, missing: null });
    expect(Object.keys(body.extensions?.positions as object)).toEqual(['products']);
  });

  it('searchProducts ranks name matches above description matches, filters by category', async () => {
    const add = (productId: string, name: string, description: string, category: string) =>
      publish({
        eventType: ProductAdded,
        id: `add-${productId}`,
        data: { productId, sku: `SKU-${productId}`, name, description, category, priceCents: 999, tags: [] },
      });
    await add('zz-1', 'Quartz lamp', 'A lamp for the desk', 'zz-lighting');
    await add('zz-2', 'Desk fan', 'Quiet, with a zanzibar finish', 'zz-cooling');
    await add('zz-3', 'Zanzibar lamp', 'Warm light', 'zz-lighting');
    const header = await add('zz-4', 'Zanzibar zanzibar kettle', 'A zanzibar kettle', 'zz-kitchen');
    const search = async (args: string) => {
      const { body } = await api.query<{ searchProducts: Page<{ id: string }> }>(
        `{ searchProducts(${args}) { edges { node { id } } } }`,
        {},
        header,
      );
      expect(body.errors).toBeUndefined();
      expect(body.extensions?.consistency).toMatchObject({ met: true });
      return body.data?.searchProducts.edges.map((e) => e.node.id);
    };
    const ranked = await search('query: "zanzibar"');
    expect(ranked).toHaveLength(3);
    // Both name matches come before the product that has the word only in its description.
    expect(ranked?.at(-1)).toBe('zz-2');
    expect(await search('query: "zanzibar", category: "zz-lighting"')).toEqual(['zz-3']);
    expect(await search('query: "ZANZIBAR LAMP", category: "zz-lighting"')).toEqual(['zz-3', 'zz-1']);
    expect(await search('category: "zz-lighting"')).toEqual(expect.arrayContaining(['zz-1', 'zz-3']));
  });

  it('searchProducts pages through a category without gaps or repeats', async () => {
    const products = [...expectedProducts(history).values()];
    const category = products[0]?.category as string;
    const inCategory = products.filter((p) => p.category === category).length;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { body: { data?: { searchProducts: Page<{ id: string; category: string }> } } } =
        await api.query(
          `query($after: String, $category: String) { searchProducts(category: $category, first: 7, after: $after) {
             edges { node { id category } } pageInfo { hasNextPage endCursor } } }`,
          { after, category },
        );
      const connection = page.body.data?.searchProducts;
      for (const { node } of connection?.edges ?? []) {
        expect(node.category).toBe(category);
        seen.push(node.id);
      }
      if (!connection?.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(inCategory);
    expect(new Set(seen).size).toBe(inCategory);
  });

  it('never splices user input into the query DSL', async () => {
    for (const q of ['"}},{"match_all":{}},{"x":{"', 'name:* OR description:*', '*', '\\', '((((']) {
      const { body } = await api.query(
        'query($q: String, $c: String) { searchProducts(query: $q, category: $c) { edges { node { id } } } }',
        { q, c: '*' },
      );
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ searchProducts: { edges: [] } });
    }
    const long = await api.query('query($q: String) { searchProducts(query: $q) { edges { cursor } } }', {
      q: 'x'.repeat(501),
    });
    expect(long.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('projections shows every view, its generation, positions with zero lag, and dead letters', async () => {
    const { body } = await api.query<{
      projections: { name: string; status: string; positions: { lag: number }[]; rebuilding: null }[];
    }>(
      '{ projections { name version generation status deadLetterCount positions { stream position lag } rebuilding { generation } } }',
    );
    const projections = body.data?.projections ?? [];
    expect(projections.map((p) => p.name)).toEqual(['customer_stats', 'daily_sales', 'orders', 'products']);
    for (const p of projections) {
      expect(p.status).toBe('RUNNING');
      expect(p.positions.every((s) => s.lag === 0)).toBe(true);
      expect(p.rebuilding).toBeNull();
    }
  });

  it('describes every type, field, argument and enum value of its schema', async () => {
    const { body } = await api.query<{
      __schema: {
        types: {
          name: string;
          description: string | null;
          fields:
            | {
                name: string;
                description: string | null;
                args: { name: string; description: string | null }[];
              }[]
            | null;
          enumValues: { name: string; description: string | null }[] | null;
        }[];
      };
    }>(
      `{ __schema { types { name description fields { name description args { name description } }
           enumValues { name description } } } }`,
    );
    const undocumented: string[] = [];
    for (const type of body.data?.__schema.types ?? []) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name))
        continue;
      if (!type.description) undocumented.push(type.name);
      for (const field of type.fields ?? []) {
        if (!field.description) undocumented.push(`${type.name}.${field.name}`);
        for (const arg of field.args)
          if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
      }
      for (const value of type.enumValues ?? [])
        if (!value.description) undocumented.push(`${type.name}.${value.name}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('refuses too deep, too costly and too large queries with GraphQL errors', async () => {
    const deep = await api.query(
      '{ orders { edges { node { customer { orders { edges { node { customer { orders { edges { node { id } } } } } } } } } } } }',
    );
    expect(deep.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    const costly = await api.query(
      '{ orders(first: 100) { edges { node { customer { orders(first: 100) { edges { node { id status } } } } } } } }',
    );
    expect(costly.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    const large = await api.query('{ orders(first: 101) { edges { cursor } } }');
    expect(large.body.errors?.[0]?.message).toMatch(/first must be between 0 and 100/);
  });

  it('connects as a role that can read the views but write nothing, even in a writable session', async () => {
    const url = await readOnlyDatabaseUrl(env.config.DATABASE_URL, env.log);
    expect(new URL(url).username).toBe('vista_api');
    const client = createDedicatedClient(url, 'vista-test');
    await client.connect();
    try {
      const { rows } = await client.query('SELECT count(*)::int AS n FROM orders');
      expect(rows[0]?.n).toBeGreaterThan(0);
      // First line of defence: the role's sessions are read-only.
      await expect(client.query('DELETE FROM vista_checkpoints')).rejects.toThrow(/read-only transaction/);
      // Second: the role holds no privilege but SELECT, whatever the session says.
      await client.query('SET default_transaction_read_only = off');
      await expect(client.query('DELETE FROM vista_checkpoints')).rejects.toThrow(/permission denied/);
      await expect(client.query(`UPDATE orders__g1 SET status = 'PAID'`)).rejects.toThrow(
        /permission denied/,
      );
      await expect(client.query('CREATE TABLE sneaky (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });
});
