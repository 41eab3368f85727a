import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProductAdded, ProductUpdated } from '../../examples/shop/events/catalog.ts';
import { OrderCancelled, OrderPlaced } from '../../examples/shop/events/orders.ts';
import { customerStats } from '../../examples/shop/views/customer-stats.ts';
import { dailySales } from '../../examples/shop/views/daily-sales.ts';
import type { Projection } from '../../projectors/engine/internal.ts';
import {
  listDeadLetters,
  readGenerations,
  requestRebuild,
  requestRetry,
} from '../../projectors/engine/internal.ts';
import type { OutgoingEvent } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { expectedCustomerStats, expectedDailySales } from '../support/shop/model.ts';
import { readCustomerStats, readDailySales, waitForLiveViews } from '../support/shop/read-views.ts';

const at = (n: number) => `2026-01-01T10:00:0${n}.000Z`;
const source = '/test';

/**
 * The two scenarios of issue 16.5: a placement dead-lettered before its cancellation
 * (customer_stats), and an old category change dead-lettered before a newer one (daily_sales).
 */
const history: OutgoingEvent[] = [
  {
    eventType: ProductAdded,
    data: {
      productId: 'p1',
      sku: 's1',
      name: 'Kettle',
      description: '',
      category: 'old',
      priceCents: 100,
      tags: [],
    },
    id: 'c1',
    time: at(1),
    source,
  },
  { eventType: ProductUpdated, data: { productId: 'p1', category: 'middle' }, id: 'c2', time: at(2), source },
  { eventType: ProductUpdated, data: { productId: 'p1', category: 'new' }, id: 'c3', time: at(3), source },
  {
    eventType: OrderPlaced,
    data: { orderId: 'o1', customerId: 'c1', lines: [{ productId: 'p1', quantity: 2, unitPriceCents: 100 }] },
    id: 'o1',
    time: at(4),
    source,
  },
  {
    eventType: OrderCancelled,
    data: { orderId: 'o1', reason: 'changed mind' },
    id: 'o2',
    time: at(5),
    source,
  },
  {
    eventType: OrderPlaced,
    data: { orderId: 'o2', customerId: 'c1', lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 50 }] },
    id: 'o3',
    time: at(6),
    source,
  },
];

/** The real views, with a bug on one event each until the test deploys the "fix". */
function buggy(bug: { fixed: boolean }): Projection[] {
  return [
    {
      ...customerStats,
      apply: async (events, sql) => {
        if (
          !bug.fixed &&
          events.some(
            (e) => e.type === 'orders.order_placed.v1' && (e.data as { orderId: string }).orderId === 'o1',
          )
        ) {
          throw new Error('o1 is not supported yet');
        }
        await customerStats.apply(events as never, sql);
      },
    },
    {
      ...dailySales,
      apply: async (events, sql) => {
        if (
          !bug.fixed &&
          events.some(
            (e) =>
              e.type === 'catalog.product_updated.v1' &&
              (e.data as { category?: string }).category === 'middle',
          )
        ) {
          throw new Error('middle is not supported yet');
        }
        await dailySales.apply(events as never, sql);
      },
    },
  ] as Projection[];
}

describe('retried dead letters and generations', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections> | undefined;

  const liveGeneration = async (name: string) =>
    (await readGenerations(env.infrastructure.pool, name)).live?.generation;

  beforeEach(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
  });

  afterEach(async () => {
    await projections?.stop();
    projections = undefined;
    await env.cleanup();
  });

  it('a retry after the fix gives the in-order fold: customer_stats and daily_sales equal the model', async () => {
    const bug = { fixed: false };
    projections = runProjections(env, buggy(bug));
    await waitForLiveViews(env, 4);
    const { pool } = env.infrastructure;
    expect((await listDeadLetters(pool, 'customer_stats')).map((l) => l.sequence)).toEqual([1]);
    expect((await listDeadLetters(pool, 'daily_sales')).map((l) => [l.stream, l.sequence])).toEqual([
      ['CATALOG', 2],
    ]);

    bug.fixed = true;
    expect(await requestRetry(pool, 'customer_stats')).toBe(1);
    expect(await requestRetry(pool, 'daily_sales')).toBe(1);
    await eventually(
      async () =>
        (await liveGeneration('customer_stats')) === 2 && (await liveGeneration('daily_sales')) === 2
          ? true
          : undefined,
      60_000,
      'the replays to take over',
    );
    await waitForLiveViews(env, 4);
    expect(await readCustomerStats(pool)).toEqual(Object.fromEntries(expectedCustomerStats(history)));
    expect(await readDailySales(pool)).toEqual(Object.fromEntries(expectedDailySales(history)));
    expect((await readCustomerStats(pool)).c1).toMatchObject({ orderCount: 2, cancelledCount: 1 });
    expect(await readDailySales(pool)).toEqual({ '2026-01-01 new': { units: 3, revenueCents: 250 } });
    expect(await listDeadLetters(pool, 'customer_stats')).toEqual([]);
    expect(await listDeadLetters(pool, 'daily_sales')).toEqual([]);
  });

  it("a rebuild leaves the live generation's dead letters alone and starts its own", async () => {
    projections = runProjections(env, buggy({ fixed: false }));
    await waitForLiveViews(env, 4);
    const { pool } = env.infrastructure;
    const [live] = await listDeadLetters(pool, 'customer_stats');
    expect(live).toMatchObject({ generation: 1, sequence: 1, attempts: 1 });

    expect(await requestRebuild(pool, 'customer_stats')).toBe(true);
    const building = await eventually(async () => (await readGenerations(pool, 'customer_stats')).building);
    const own = await eventually(async () => {
      const [letter] = await listDeadLetters(pool, 'customer_stats', { generation: building.generation });
      return letter;
    });
    expect(own).toMatchObject({ generation: building.generation, sequence: 1, attempts: 1 });
    expect(own.id).not.toBe(live?.id);
    await eventually(
      async () => ((await liveGeneration('customer_stats')) === building.generation ? true : undefined),
      60_000,
    );
    // The new live generation has its own letter, met once; the retired one's go with its storage.
    expect(await listDeadLetters(pool, 'customer_stats')).toEqual([own]);
    await eventually(
      async () => {
        const { rows } = await pool.query(
          `SELECT DISTINCT generation FROM vista_dead_letters WHERE projection = 'customer_stats'`,
        );
        return rows.length === 1 && rows[0]?.generation === building.generation ? true : undefined;
      },
      30_000,
      'the retired generation to be forgotten',
    );
  });
});
