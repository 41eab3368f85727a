import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../projectors/demo/history.ts';
import { publishMany } from '../../projectors/demo/publish-many.ts';
import { ProjectionHost } from '../../projectors/engine/host.ts';
import { LeaseManager } from '../../projectors/engine/lease.ts';
import { runnerDeps } from '../../projectors/infrastructure.ts';
import { PROJECTIONS } from '../../projectors/registry.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { elasticsearchAlias } from '../../shared/read-model-names.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import {
  expectedCustomerStats,
  expectedDailySales,
  expectedOrders,
  expectedProducts,
  shuffleAcrossStreams,
} from '../support/model.ts';

/**
 * The three demo views against an independent model computed in plain TypeScript from the
 * published events, with the order across streams shuffled (payments long before their
 * orders, orders before their products).
 */
describe('the demo views equal the independent model on a shuffled 10k-event history', () => {
  let env: TestEnvironment;
  const stop = new AbortController();
  let running: Promise<void>;
  const history = shuffleAcrossStreams([...demoHistory({ events: 10_000, seed: 99 })], 5);

  beforeAll(async () => {
    env = await testEnvironment();
    const { nats, streams, pool } = env.infrastructure;
    await publishMany(nats.js, streams, history);
    const host = new ProjectionHost(
      PROJECTIONS,
      runnerDeps(env.config, env.infrastructure, env.log),
      new LeaseManager(env.config.DATABASE_URL, env.log),
    );
    running = host.run(stop.signal);
    const heads = await streamHeads(nats.jsm, streams);
    await eventually(
      async () => {
        const { rows } = await pool.query<{ caught_up: boolean }>(
          `SELECT bool_and(position = CASE stream WHEN 'CATALOG' THEN $1::bigint WHEN 'ORDERS' THEN $2::bigint ELSE $3::bigint END)
                  AND count(*) = 8 AS caught_up
             FROM vista_checkpoints`,
          [heads.CATALOG, heads.ORDERS, heads.PAYMENTS],
        );
        return rows[0]?.caught_up ? true : undefined;
      },
      90_000,
      'all projections to catch up',
    );
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await env?.cleanup();
  });

  it('the history really is shuffled: some payments precede their order', () => {
    const placedAt = new Map<string, number>();
    history.forEach((e, i) => {
      if (e.eventType.type === 'orders.order_placed.v1')
        placedAt.set((e.data as { orderId: string }).orderId, i);
    });
    const early = history.filter(
      (e, i) =>
        e.eventType.stream === 'PAYMENTS' && (placedAt.get((e.data as { orderId: string }).orderId) ?? 0) > i,
    );
    expect(early.length).toBeGreaterThan(100);
  });

  it('orders (PostgreSQL) equals the model', async () => {
    const { rows } = await env.infrastructure.pool.query(
      `SELECT id, customer_id AS "customerId", status, total_cents AS "totalCents", line_count AS "lineCount",
              paid_cents AS "paidCents", placed_at AS "placedAt", shipped_at AS "shippedAt", cancelled_at AS "cancelledAt"
         FROM orders`,
    );
    const actual = Object.fromEntries(
      rows.map((r) => [
        r.id,
        {
          ...r,
          placedAt: r.placedAt.toISOString(),
          shippedAt: r.shippedAt?.toISOString() ?? null,
          cancelledAt: r.cancelledAt?.toISOString() ?? null,
        },
      ]),
    );
    const expected = expectedOrders(history);
    expect(Object.keys(actual)).toHaveLength(expected.size);
    expect(actual).toEqual(Object.fromEntries(expected));
  });

  it('customer_stats (PostgreSQL) equals the model, payments before their order included', async () => {
    const { rows } = await env.infrastructure.pool.query(
      `SELECT customer_id AS "customerId", order_count AS "orderCount", cancelled_count AS "cancelledCount",
              lifetime_spend_cents AS "lifetimeSpendCents", first_order_at AS "firstOrderAt", last_order_at AS "lastOrderAt"
         FROM customer_stats`,
    );
    const actual = Object.fromEntries(
      rows.map((r) => [
        r.customerId,
        { ...r, firstOrderAt: r.firstOrderAt.toISOString(), lastOrderAt: r.lastOrderAt.toISOString() },
      ]),
    );
    const expected = expectedCustomerStats(history);
    expect(expected.size).toBeGreaterThan(100);
    expect(actual).toEqual(Object.fromEntries(expected));
  });

  it('products (Elasticsearch) equals the model, v1 product_added upcast to v2', async () => {
    const response = await env.infrastructure.es.search<Record<string, unknown>>({
      index: elasticsearchAlias(env.config.VISTA_NAMESPACE, 'products'),
      query: { term: { added: true } },
      size: 10_000,
    });
    const actual = Object.fromEntries(
      response.hits.hits.map((hit) => {
        const { added: _added, _positions, ...doc } = hit._source as Record<string, unknown>;
        return [hit._id, { id: hit._id, ...doc }];
      }),
    );
    const expected = expectedProducts(history);
    expect(history.some((e) => e.eventType.type === 'catalog.product_added.v1')).toBe(true);
    expect(expected.size).toBeGreaterThan(50);
    expect(actual).toEqual(Object.fromEntries(expected));
  });

  it('daily_sales (PostgreSQL, the worked example of a new projector) equals the model', async () => {
    const { rows } = await env.infrastructure.pool.query<{
      day: Date;
      category: string;
      units: number;
      revenue_cents: number;
    }>('SELECT day::text AS day, category, units, revenue_cents FROM daily_sales');
    const actual = Object.fromEntries(
      rows.map((r) => [`${r.day} ${r.category}`, { units: r.units, revenueCents: r.revenue_cents }]),
    );
    expect(actual).toEqual(Object.fromEntries(expectedDailySales(history)));
  });
});
