import { expect } from 'vitest';
import { elasticsearchAlias } from '../../../projectors/engine/internal.ts';
import type { Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import type { Pool } from '../../../shared/clients/postgres.ts';
import type { OutgoingEvent } from '../../../shared/events/publish.ts';
import type { TestEnvironment } from '../environment.ts';
import { expectedCustomerStats, expectedDailySales, expectedOrders, expectedProducts } from './model.ts';

/** The demo views read back in the model's shape, keyed like the model's maps. */
export async function readOrders(pool: Pool): Promise<Record<string, unknown>> {
  const { rows } = await pool.query(
    `SELECT id, customer_id AS "customerId", status, total_cents AS "totalCents", line_count AS "lineCount",
            paid_cents AS "paidCents", placed_at AS "placedAt", shipped_at AS "shippedAt", cancelled_at AS "cancelledAt"
       FROM orders`,
  );
  return Object.fromEntries(
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
}

export async function readCustomerStats(pool: Pool): Promise<Record<string, unknown>> {
  const { rows } = await pool.query(
    `SELECT customer_id AS "customerId", order_count AS "orderCount", cancelled_count AS "cancelledCount",
            lifetime_spend_cents AS "lifetimeSpendCents", first_order_at AS "firstOrderAt", last_order_at AS "lastOrderAt"
       FROM customer_stats`,
  );
  return Object.fromEntries(
    rows.map((r) => [
      r.customerId,
      { ...r, firstOrderAt: r.firstOrderAt.toISOString(), lastOrderAt: r.lastOrderAt.toISOString() },
    ]),
  );
}

export async function readProducts(es: Elasticsearch, namespace: string): Promise<Record<string, unknown>> {
  const response = await es.search<Record<string, unknown>>({
    index: elasticsearchAlias(namespace, 'products'),
    query: { term: { added: true } },
    size: 10_000,
  });
  return Object.fromEntries(
    response.hits.hits.map((hit) => {
      const { added: _added, _positions, ...doc } = hit._source as Record<string, unknown>;
      return [hit._id, { id: hit._id, ...doc }];
    }),
  );
}

export async function readDailySales(pool: Pool): Promise<Record<string, unknown>> {
  const { rows } = await pool.query<{ day: string; category: string; units: number; revenue_cents: number }>(
    'SELECT day::text AS day, category, units, revenue_cents FROM daily_sales',
  );
  return Object.fromEntries(
    rows.map((r) => [`${r.day} ${r.category}`, { units: r.units, revenueCents: r.revenue_cents }]),
  );
}

/** Waits until every live generation's checkpoint is at its streams' heads (`sources` rows in all). */
export { waitForLiveViews } from '../engine-state.ts';

/** Asserts that all four demo views equal the independent model of `history`. */
export async function expectViewsToMatchModel(
  env: TestEnvironment,
  history: readonly OutgoingEvent[],
): Promise<void> {
  const { pool, es } = env.infrastructure;
  expect(await readOrders(pool)).toEqual(Object.fromEntries(expectedOrders(history)));
  expect(await readCustomerStats(pool)).toEqual(Object.fromEntries(expectedCustomerStats(history)));
  expect(await readProducts(es, env.config.VISTA_NAMESPACE)).toEqual(
    Object.fromEntries(expectedProducts(history)),
  );
  expect(await readDailySales(pool)).toEqual(Object.fromEntries(expectedDailySales(history)));
}
