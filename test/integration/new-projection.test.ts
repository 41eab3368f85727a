import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { dailySales } from '../../examples/shop/views/daily-sales.ts';
import { orders } from '../../examples/shop/views/orders.ts';
import {
  defineDocumentProjection,
  engineDeps,
  LeaseManager,
  type Projection,
  ProjectionHost,
  postgresTable,
  readGenerations,
} from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { digestView } from '../support/dump.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { stockView } from '../support/shop/stock-view.ts';

/** Version 1 of a small view, and version 2 whose stored shape gains a column. */
const stockV1 = stockView('stock_levels');
const stockV2 = defineDocumentProjection(shop, {
  ...stockV1,
  version: 2,
  evolve: (doc: { stock: number; adjustments: number } | null, e) => ({
    stock: (doc?.stock ?? 0) + e.data.delta,
    adjustments: (doc?.adjustments ?? 0) + 1,
  }),
  target: postgresTable<{ stock: number; adjustments: number }>({
    columns: { stock: 'bigint', adjustments: 'integer' },
  }),
});

describe('adding a projector and changing a view', () => {
  let env: TestEnvironment;
  let stop: AbortController;
  let running: Promise<void> | undefined;

  const host = async (projections: Projection[]) => {
    if (running) {
      stop.abort();
      await running;
    }
    stop = new AbortController();
    running = new ProjectionHost(
      projections,
      engineDeps(env.config, env.infrastructure, env.log),
      new LeaseManager(env.config.DATABASE_URL, env.log),
    ).run(stop.signal);
  };

  const position = async (projection: string) => {
    const { rows } = await env.infrastructure.pool.query<{ done: number }>(
      `SELECT coalesce(sum(c.position), 0) AS done FROM vista_checkpoints c
         JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation WHERE c.projection = $1`,
      [projection],
    );
    return rows[0]?.done ?? 0;
  };

  beforeEach(async () => {
    env = await testEnvironment();
  });

  afterEach(async () => {
    stop.abort();
    await running;
    running = undefined;
    await env.cleanup();
  });

  it('a new projection catches up from sequence 1 without touching the others', async () => {
    const { nats, streams, pool } = env.infrastructure;
    await publishMany(nats.js, streams, demoHistory({ events: 5000, seed: 21 }));
    await host([orders]);
    const { ORDERS = 0, PAYMENTS = 0, CATALOG = 0 } = await streamHeads(nats.jsm, streams);
    await eventually(async () => ((await position('orders')) === ORDERS + PAYMENTS ? true : undefined));
    const ordersBefore = await digestView(pool, 'orders');

    await host([orders, dailySales]);
    await eventually(async () => ((await position('daily_sales')) === ORDERS + CATALOG ? true : undefined));
    const { rows } = await pool.query<{ units: number }>('SELECT sum(units)::int AS units FROM daily_sales');
    expect(rows[0]?.units).toBeGreaterThan(1000);
    expect((await readGenerations(pool, 'orders')).live?.generation).toBe(1);
    expect(await digestView(pool, 'orders')).toEqual(ordersBefore);
  });

  it('a version bump builds a new generation with the new column, and the view switches to it', async () => {
    const { nats, streams, pool } = env.infrastructure;
    for (let i = 1; i <= 6; i++) {
      await publishEvent(nats.js, streams, {
        eventType: StockAdjusted,
        data: { productId: `p${i % 2}`, delta: i, reason: 'restock' },
        id: `s${i}`,
        time: '2026-01-01T00:00:00.000Z',
        source: '/test',
      });
    }
    await host([stockV1]);
    await eventually(async () => ((await position('stock_levels')) === 6 ? true : undefined));
    const v1 = await pool.query('SELECT * FROM stock_levels ORDER BY id');
    expect(v1.rows).toEqual([
      { id: 'p0', stock: 12 },
      { id: 'p1', stock: 9 },
    ]);

    await host([stockV2]);
    await eventually(async () =>
      (await readGenerations(pool, 'stock_levels')).live?.version === 2 ? true : undefined,
    );
    const v2 = await pool.query('SELECT * FROM stock_levels ORDER BY id');
    expect(v2.rows).toEqual([
      { id: 'p0', stock: 12, adjustments: 3 },
      { id: 'p1', stock: 9, adjustments: 3 },
    ]);
    expect((await readGenerations(pool, 'stock_levels')).live?.generation).toBe(2);
  });
});
