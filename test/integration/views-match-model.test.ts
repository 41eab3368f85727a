import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import {
  expectedCustomerStats,
  expectedDailySales,
  expectedOrders,
  expectedProducts,
  shuffleAcrossStreams,
} from '../support/shop/model.ts';
import {
  readCustomerStats,
  readDailySales,
  readOrders,
  readProducts,
  waitForLiveViews,
} from '../support/shop/read-views.ts';

/**
 * The three demo views against an independent model computed in plain TypeScript from the
 * published events, with the order across streams shuffled (payments long before their
 * orders, orders before their products).
 */
describe('the demo views equal the independent model on a shuffled 10k-event history', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;
  const history = shuffleAcrossStreams([...demoHistory({ events: 10_000, seed: 99 })], 5);

  beforeAll(async () => {
    env = await testEnvironment();
    const { nats, streams } = env.infrastructure;
    await publishMany(nats.js, streams, history);
    projections = runProjections(env);
    await waitForLiveViews(env, 8, 90_000);
  });

  afterAll(async () => {
    await projections?.stop();
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
    const expected = expectedOrders(history);
    expect(expected.size).toBeGreaterThan(1000);
    expect(await readOrders(env.infrastructure.pool)).toEqual(Object.fromEntries(expected));
  });

  it('customer_stats (PostgreSQL) equals the model, payments before their order included', async () => {
    const expected = expectedCustomerStats(history);
    expect(expected.size).toBeGreaterThan(100);
    expect(await readCustomerStats(env.infrastructure.pool)).toEqual(Object.fromEntries(expected));
  });

  it('products (Elasticsearch) equals the model, v1 product_added upcast to v2', async () => {
    const expected = expectedProducts(history);
    expect(history.some((e) => e.eventType.type === 'catalog.product_added.v1')).toBe(true);
    expect(expected.size).toBeGreaterThan(50);
    const actual = await readProducts(env.infrastructure.es, env.config.VISTA_NAMESPACE);
    expect(actual).toEqual(Object.fromEntries(expected));
  });

  it('daily_sales (PostgreSQL, the worked example of a new projector) equals the model', async () => {
    const expected = expectedDailySales(history);
    expect(expected.size).toBeGreaterThanOrEqual(8); // every category on the history's one day
    expect(await readDailySales(env.infrastructure.pool)).toEqual(Object.fromEntries(expected));
  });
});
