import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { OrderCancelled, OrderPlaced } from '../../examples/shop/events/orders.ts';
import type { OrderLines } from '../../examples/shop/views/products.ts';
import {
  defineDocumentProjection,
  ElasticsearchGeneration,
  elasticsearchIndex,
  engineDeps,
  fromBeginning,
  listDeadLetters,
  type PoisonPolicy,
  type ProjectionRunner,
  reconcileGenerations,
  runnerFor,
} from '../../projectors/engine/internal.ts';
import { ident } from '../../shared/clients/postgres.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

interface Sold {
  unitsSold: number;
}

/**
 * Units sold per product, with each order's lines kept as a lookup record for its cancellation;
 * `units` is the mapping's type for them (a `byte` refuses more than 127).
 */
const sold = (onPoison: PoisonPolicy, units: 'long' | 'byte' = 'long') =>
  defineDocumentProjection(shop, {
    name: `sold_${onPoison}`,
    version: 1,
    onPoison,
    sources: [{ stream: 'ORDERS' }],
    handles: ['orders.order_placed.v1', 'orders.order_cancelled.v1'],
    lookup: {
      key: (e) => e.data.orderId,
      evolve: (record: OrderLines | null, e): OrderLines =>
        e.type === 'orders.order_placed.v1'
          ? {
              lines: e.data.lines.map(({ productId, quantity }) => ({ productId, quantity })),
              cancelled: false,
            }
          : { lines: record?.lines ?? [], cancelled: true },
    },
    key: (e, order) =>
      e.type === 'orders.order_placed.v1'
        ? e.data.lines.map((line) => line.productId)
        : order && !order.cancelled
          ? order.lines.map((line) => line.productId)
          : [],
    evolve: (doc: Sold | null, e, productId, order): Sold => {
      const lines = e.type === 'orders.order_placed.v1' ? e.data.lines : (order?.lines ?? []);
      const units = lines.reduce(
        (sum, line) => (line.productId === productId ? sum + line.quantity : sum),
        0,
      );
      const sign = e.type === 'orders.order_placed.v1' ? 1 : -1;
      return { unitsSold: (doc?.unitsSold ?? 0) + sign * units };
    },
    target: elasticsearchIndex({ properties: { unitsSold: { type: units } } }),
  });

type History = readonly (
  | { orderId: string; lines: Record<string, number> }
  | { orderId: string; cancelled: true }
)[];

/**
 * The history, in one batch: o-2's lookup record is refused by PostgreSQL (a constraint the
 * test puts on the lookup table), after the documents it touches were folded with it, and
 * events after it touch the same documents (p1) and others (p2, p3).
 */
const history: History = [
  { orderId: 'o-1', lines: { p1: 1, p2: 1 } },
  { orderId: 'o-2', lines: { p1: 10, p3: 10 } },
  { orderId: 'o-3', lines: { p1: 100, p2: 100 } },
  { orderId: 'o-1', cancelled: true },
  { orderId: 'o-4', lines: { p3: 1000 } },
];

/** Generation 1 of the projection, as its runner keeps it: its index and its lookup table. */
const generationOne = (env: TestEnvironment, projection: ReturnType<typeof sold>) =>
  new ElasticsearchGeneration(
    env.infrastructure.es,
    env.infrastructure.pool,
    env.log,
    projection,
    env.infrastructure.streams.namespace,
    1,
    0,
  );

/** Publishes `orders` to ORDERS, in order: sequences 1, 2, … */
async function publishOrders(env: TestEnvironment, orders: History): Promise<void> {
  const { js } = env.infrastructure.nats;
  for (const [n, event] of orders.entries()) {
    const id = `e-${n + 1}`;
    const time = '2026-01-01T00:00:00.000Z';
    await ('cancelled' in event
      ? publishEvent(js, env.infrastructure.streams, {
          eventType: OrderCancelled,
          data: { orderId: event.orderId, reason: 'changed mind' },
          id,
          time,
          source: '/test',
        })
      : publishEvent(js, env.infrastructure.streams, {
          eventType: OrderPlaced,
          data: {
            orderId: event.orderId,
            customerId: 'c1',
            lines: Object.entries(event.lines).map(([productId, quantity]) => ({
              productId,
              quantity,
              unitPriceCents: 100,
            })),
          },
          id,
          time,
          source: '/test',
        }));
  }
}

/** A test's installation: a fresh one with `orders` published, and the runner started in it. */
interface Installation {
  env: TestEnvironment;
  stop: AbortController;
  running?: Promise<void>;
}

/** A fresh installation for each test of the describe block, `orders` published in it; torn down after. */
function installationPerTest(orders: History): Installation {
  const installation = {} as Installation;
  beforeEach(async () => {
    installation.stop = new AbortController();
    installation.running = undefined;
    installation.env = await testEnvironment();
    await publishOrders(installation.env, orders);
  });
  afterEach(async () => {
    installation.stop.abort();
    await installation.running;
    await installation.env.cleanup();
  });
  return installation;
}

/** Runs generation 1 of `projection` from the start of ORDERS until `done`. */
async function runUntil(
  installation: Installation,
  projection: ReturnType<typeof sold>,
  done: (runner: ProjectionRunner) => boolean,
): Promise<ProjectionRunner> {
  const { env } = installation;
  await reconcileGenerations(env.infrastructure.pool, projection, fromBeginning(['ORDERS']));
  const runner = runnerFor(projection, 1, engineDeps(env.config, env.infrastructure, env.log));
  installation.running = runner.run(installation.stop.signal);
  await eventually(async () => (done(runner) ? true : undefined), 30_000, `${projection.name} done`);
  return runner;
}

/** Every document of generation 1's index, tombstones included, without engine fields. */
async function documents(
  env: TestEnvironment,
  projection: ReturnType<typeof sold>,
): Promise<Record<string, Sold>> {
  const { es } = env.infrastructure;
  const { index } = generationOne(env, projection);
  await es.indices.refresh({ index });
  const { hits } = await es.search<Sold & { _positions?: unknown }>({ index, size: 100 });
  return Object.fromEntries(
    hits.hits.map((hit) => {
      const { _positions, ...doc } = hit._source as Sold & { _positions?: unknown };
      return [hit._id as string, doc];
    }),
  );
}

describe('an Elasticsearch projection whose poison event PostgreSQL refuses', () => {
  const installation = installationPerTest(history);

  /** Runs the projection over the history, o-2's lookup record refused, until `done`. */
  async function run(onPoison: PoisonPolicy, done: (runner: ProjectionRunner) => boolean) {
    const projection = sold(onPoison);
    // Made before the engine's own (`CREATE TABLE IF NOT EXISTS`), with one record it refuses.
    await installation.env.infrastructure.pool.query(
      `CREATE TABLE ${ident(generationOne(installation.env, projection).lookups.table)}
         (key text PRIMARY KEY, record jsonb NOT NULL, CHECK (key <> 'o-2'))`,
    );
    return runUntil(installation, projection, done);
  }

  it('skip: the poison event is dead-lettered and no document keeps its effect', async () => {
    await run('skip', (runner) => runner.progress.positions.ORDERS === 5);
    const [letter, ...others] = await listDeadLetters(installation.env.infrastructure.pool, 'sold_skip');
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ stream: 'ORDERS', sequence: 2, errorCode: 'SQLSTATE_23514' });
    // o-1, o-3, its cancellation of o-1 and o-4 alone.
    expect(await documents(installation.env, sold('skip'))).toEqual({
      p1: { unitsSold: 100 },
      p2: { unitsSold: 100 },
      p3: { unitsSold: 1000 },
    });
  });

  it('halt: the projection stops before the poison event, and the documents hold nothing after its checkpoint', async () => {
    const runner = await run('halt', (r) => r.progress.status === 'halted');
    expect(runner.progress.positions.ORDERS).toBe(1);
    const [letter] = await listDeadLetters(installation.env.infrastructure.pool, 'sold_halt');
    expect(letter).toMatchObject({ stream: 'ORDERS', sequence: 2, errorCode: 'SQLSTATE_23514' });
    // o-1 alone: the checkpoint's only event.
    expect(await documents(installation.env, sold('halt'))).toEqual({
      p1: { unitsSold: 1 },
      p2: { unitsSold: 1 },
    });
  });
});

/**
 * The history, in one batch: o-2 takes p3 past what its `byte` mapping holds, so Elasticsearch
 * would refuse p3's document, while o-2's effect on p1 is a document it would take.
 */
const refusedHistory: History = [
  { orderId: 'o-1', lines: { p1: 1, p2: 1 } },
  { orderId: 'o-2', lines: { p1: 10, p3: 200 } },
  { orderId: 'o-3', lines: { p1: 100, p2: 100 } },
  { orderId: 'o-1', cancelled: true },
  { orderId: 'o-4', lines: { p3: 5 } },
];

describe('an Elasticsearch projection whose poison event Elasticsearch would refuse', () => {
  const installation = installationPerTest(refusedHistory);

  it('skip: the event is dead-lettered, and the documents Elasticsearch would take hold none of its effect', async () => {
    const projection = sold('skip', 'byte');
    await runUntil(installation, projection, (runner) => runner.progress.positions.ORDERS === 5);
    const [letter, ...others] = await listDeadLetters(installation.env.infrastructure.pool, 'sold_skip');
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      stream: 'ORDERS',
      sequence: 2,
      errorCode: 'ELASTICSEARCH_DOCUMENT_PARSING_EXCEPTION',
      error: expect.stringMatching(
        /^Elasticsearch would refuse document p3: unitsSold \(byte\) is out of range: 200/,
      ),
    });
    // o-1, o-3, the cancellation of o-1 and o-4: p1 never holds o-2's 10.
    expect(await documents(installation.env, projection)).toEqual({
      p1: { unitsSold: 100 },
      p2: { unitsSold: 100 },
      p3: { unitsSold: 5 },
    });
  });
});
