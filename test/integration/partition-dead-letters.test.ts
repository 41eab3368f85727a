import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import {
  defineDocumentProjection,
  executeCommand,
  listDeadLetters,
  type PoisonPolicy,
  partitionOf,
  postgresTable,
} from '../../projectors/engine/internal.ts';
import type { Pool } from '../../shared/clients/postgres.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import type { Stock } from '../support/shop/stock-view.ts';

/** Per product, the sum of its adjustments, in 3 partitions; a product named `nowhere` has no key. */
const stockView = (name: string, onPoison: PoisonPolicy) =>
  defineDocumentProjection(shop, {
    name,
    version: 1,
    partitions: 3,
    onPoison,
    sources: [{ stream: 'CATALOG' }],
    handles: ['catalog.stock_adjusted.v1'],
    key: (e) => (e.data.productId === 'nowhere' ? '' : e.data.productId),
    evolve: (doc: Stock | null, e): Stock => ({ stock: (doc?.stock ?? 0) + e.data.delta }),
    target: postgresTable<Stock>({ columns: { stock: 'bigint' } }),
  });
/** The rows of `table` once each of `products` holds both of its adjustments (10 + 1). */
const everyProductAdjustedTwice = (pool: Pool, table: string, products: readonly string[]) =>
  eventually(
    async () => {
      const { rows } = await pool
        .query<{ id: string; stock: number }>(`SELECT id, stock::int FROM ${table} ORDER BY id`)
        .catch(() => ({ rows: [] }));
      return rows.length === products.length && rows.every((r) => r.stock === 11) ? rows : undefined;
    },
    60_000,
    'every product to hold both of its adjustments',
  );

const stock = stockView('stock_partitioned', 'skip');
const halting = stockView('stock_halting', 'halt');

describe('a partitioned projection meeting an event without a partition key', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections> | undefined;
  const products = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'];
  let n = 0;
  let poisonAt = 0;
  const adjust = (productId: string, delta: number) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: StockAdjusted,
      data: { productId, delta, reason: 'restock' },
      id: `adj-${++n}`,
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });

  beforeAll(async () => {
    env = await testEnvironment();
    for (const p of products) await adjust(p, 10);
    poisonAt = (await adjust('nowhere', 5)).seq;
    for (const p of products) await adjust(p, 1);
  });

  afterAll(async () => {
    await projections?.stop();
    await env?.cleanup();
  });

  it('dead-letters that event once, and every partition applies its own keys past it', async () => {
    const { pool } = env.infrastructure;
    // The products fall into every partition.
    expect(new Set(products.map((p) => partitionOf(p, 3))).size).toBe(3);
    projections = runProjections(env, [stock]);

    const rows = await everyProductAdjustedTwice(pool, 'stock_partitioned', products);
    expect(rows.map((r) => r.id)).toEqual(products);
    const letters = await listDeadLetters(pool, 'stock_partitioned');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      stream: 'CATALOG',
      sequence: poisonAt,
      errorCode: 'HANDLER_FAILED',
    });
    expect(letters[0]?.error).toContain('partition key of catalog.stock_adjusted.v1');
    // Every partition's checkpoint passed it: the projection's position is the stream's head.
    const { rows: checkpoints } = await pool.query<{ partition: number; position: number }>(
      `SELECT partition, position::int FROM vista_checkpoints WHERE projection = 'stock_partitioned' ORDER BY partition`,
    );
    expect(checkpoints).toEqual([0, 1, 2].map((partition) => ({ partition, position: n })));
  }, 90_000);

  it('with onPoison halt, every partition halts before it; skipping its dead letter resumes every partition past it', async () => {
    const { pool } = env.infrastructure;
    await projections?.stop();
    projections = runProjections(env, [halting]);
    const positions = async () =>
      (
        await pool.query<{ partition: number; position: number }>(
          `SELECT partition, position::int FROM vista_checkpoints WHERE projection = 'stock_halting' ORDER BY partition`,
        )
      ).rows;
    await eventually(
      async () => {
        const { rows } = await pool.query<{ status: string }>(
          `SELECT status FROM vista_partitions WHERE projection = 'stock_halting' AND status = 'halted'`,
        );
        return rows.length === 3 ? true : undefined;
      },
      60_000,
      'every partition to halt at the event without a key',
    );
    expect(await positions()).toEqual([0, 1, 2].map((partition) => ({ partition, position: poisonAt - 1 })));
    const [letter] = await listDeadLetters(pool, 'stock_halting');
    expect(letter?.sequence).toBe(poisonAt);
    const action = await executeCommand(pool, {
      command: { action: 'skip_dead_letter', projection: 'stock_halting', deadLetterId: Number(letter?.id) },
      origin: { via: 'cli' },
    });
    expect(action.outcome).toBe('accepted');
    await eventually(
      async () => ((await positions()).every((p) => p.position === n) ? true : undefined),
      60_000,
      'every partition to resume past the skipped event',
    );
    const { rows } = await pool.query<{ stock: number }>('SELECT stock::int FROM stock_halting');
    expect(rows.map((r) => r.stock)).toEqual(products.map(() => 11));
  }, 90_000);
});

/** Per product, the sum of its adjustments, in 3 partitions routed by subject; `crossed` is keyed as p1. */
const routedStock = defineDocumentProjection(shop, {
  name: 'stock_routed',
  version: 1,
  partitions: 3,
  sources: [{ stream: 'CATALOG', keyIsAggregateId: true }],
  handles: ['catalog.stock_adjusted.v1'],
  key: (e) => (e.data.productId === 'crossed' ? 'p1' : e.data.productId),
  evolve: (doc: Stock | null, e): Stock => ({ stock: (doc?.stock ?? 0) + e.data.delta }),
  target: postgresTable<Stock>({ columns: { stock: 'bigint' } }),
});

describe('partitions routed by subject (keyIsAggregateId) meeting an event keyed by another id', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections> | undefined;

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    await projections?.stop();
    await env?.cleanup();
  });

  it('dead-letters it once, in the partition of its subject, and applies every other event once', async () => {
    const products = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'];
    // Routed by its subject to one partition and by its key to another, it would be lost in silence.
    expect(partitionOf('crossed', 3)).not.toBe(partitionOf('p1', 3));
    let n = 0;
    const adjust = (productId: string, delta: number) =>
      publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
        eventType: StockAdjusted,
        data: { productId, delta, reason: 'restock' },
        id: `adj-${++n}`,
        time: '2026-01-01T00:00:00.000Z',
        source: '/test',
      });
    for (const p of products) await adjust(p, 10);
    const crossedAt = (await adjust('crossed', 5)).seq;
    for (const p of products) await adjust(p, 1);
    const { pool } = env.infrastructure;
    projections = runProjections(env, [routedStock]);

    const rows = await everyProductAdjustedTwice(pool, 'stock_routed', products);
    expect(rows.map((r) => r.id)).toEqual(products);
    const letters = await listDeadLetters(pool, 'stock_routed');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stream: 'CATALOG', sequence: crossedAt, errorCode: 'HANDLER_FAILED' });
    expect(letters[0]?.error).toContain(
      `key p1 of catalog.stock_adjusted.v1 at CATALOG #${crossedAt} is not its aggregate id crossed`,
    );
    const { rows: checkpoints } = await pool.query<{ partition: number; position: number }>(
      `SELECT partition, position::int FROM vista_checkpoints WHERE projection = 'stock_routed' ORDER BY partition`,
    );
    expect(checkpoints).toEqual([0, 1, 2].map((partition) => ({ partition, position: n })));
  }, 90_000);
});
