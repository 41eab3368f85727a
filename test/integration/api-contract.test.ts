import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnlyDatabaseUrl } from '../../api/read-only-role.ts';
import { customerLoader } from '../../api/schema/customers.ts';
import { demoHistory } from '../../projectors/demo/history.ts';
import { publishMany } from '../../projectors/demo/publish-many.ts';
import type { Pool } from '../../shared/clients/postgres.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { expectedCustomerStats, expectedProducts } from '../support/model.ts';
import { waitForLiveViews } from '../support/read-views.ts';
import { runProjections, startApi } from '../support/running.ts';

describe('GraphQL API: the contract over all views', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApi>>;
  let projections: ReturnType<typeof runProjections>;
  const history = [...demoHistory({ events: 5000, seed: 91 })];

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

  it('an order names its customer through one batched query, not one per order (DataLoader)', async () => {
    let queries = 0;
    const pool = env.infrastructure.pool;
    const counting = {
      query: (...args: Parameters<Pool['query']>) => {
        queries++;
        return (pool.query as (...a: unknown[]) => unknown)(...args);
      },
    } as unknown as Pool;
    const loader = customerLoader(counting);
    const ids = [...expectedCustomerStats(history).keys()].slice(0, 50);
    const loaded = await Promise.all(ids.map((id) => loader.load(id)));
    expect(loaded.every((c) => c !== null)).toBe(true);
    expect(queries).toBe(1);
    const { body } = await api.query<{
      orders: { edges: { node: { customerId: string; customer: { customerId: string } } }[] };
    }>('{ orders(first: 50) { edges { node { customerId customer { customerId orderCount } } } } }');
    for (const { node } of body.data?.orders.edges ?? [])
      expect(node.customer.customerId).toBe(node.customerId);
  });

  it('product(id) equals the model; an id never added is null', async () => {
    const [id, expected] = [...expectedProducts(history)][0] as [string, object];
    const { body } = await api.query(
      `{ product(id: "${id}") { id sku name description category priceCents tags stock unitsSold } missing: product(id: "nope") { id } }`,
    );
    expect(body.data).toEqual({ product: expected, missing: null });
  });

  it('searchProducts ranks by relevance, filters by category and pages without gaps or repeats', async () => {
    const products = [...expectedProducts(history).values()];
    const word = String(products[0]?.name).split(' ')[1] as string;
    const { body } = await api.query<{
      searchProducts: { edges: { node: { name: string; description: string } }[] };
    }>(`{ searchProducts(query: "${word}", first: 5) { edges { node { name description } } } }`);
    const first = body.data?.searchProducts.edges[0]?.node;
    expect(`${first?.name} ${first?.description}`.toLowerCase()).toContain(word.toLowerCase());

    const category = products[0]?.category as string;
    const inCategory = products.filter((p) => p.category === category).length;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: {
        body: {
          data?: {
            searchProducts: {
              edges: { node: { id: string; category: string } }[];
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          };
        };
      } = await api.query(
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
    const { body } = await api.query(
      'query($q: String) { searchProducts(query: $q) { edges { node { id } } } }',
      {
        q: '"}},{"match_all":{}},{"x":{"',
      },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ searchProducts: { edges: [] } });
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

  it('connects as a role that can read the views but write nothing', async () => {
    const url = await readOnlyDatabaseUrl(env.config.DATABASE_URL, env.log);
    expect(new URL(url).username).toBe('vista_api');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT count(*)::int AS n FROM orders');
      expect(rows[0]?.n).toBeGreaterThan(0);
      await expect(client.query(`DELETE FROM vista_checkpoints`)).rejects.toThrow(
        /permission denied|read-only transaction/,
      );
      await expect(client.query(`UPDATE orders__g1 SET status = 'PAID'`)).rejects.toThrow(
        /permission denied|read-only transaction/,
      );
    } finally {
      await client.end();
    }
  });
});
