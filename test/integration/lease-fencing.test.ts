import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import {
  assertFence,
  commitUnitOfWork,
  type EngineDeps,
  elasticsearchAlias,
  engineDeps,
  fromBeginning,
  LeaseLostError,
  LeaseManager,
  ProjectionHost,
  readCheckpoint,
  reconcileGenerations,
  recordStatus,
  StaleCheckpointError,
  type Statements,
} from '../../projectors/engine/internal.ts';
import { createElasticsearch } from '../../shared/clients/elasticsearch.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { orderedStockView } from '../support/shop/stock-view.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

/** Stock of a product: its adjustments minus the quantities ordered, from two streams. */
const stock = orderedStockView('stock_fenced', { store: 'elasticsearch' });

const adjusted = (delta: number, n: number) => ({
  eventType: StockAdjusted,
  data: { productId: 'p1', delta, reason: 'count' },
  id: `adj-${n}-${Math.random()}`,
  time: '2026-01-01T00:00:00.000Z',
  source: '/test',
});

const placed = (n: number) => ({
  eventType: OrderPlaced,
  data: {
    orderId: `o${n}`,
    customerId: 'c1',
    lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 100 }],
  },
  id: `order-${n}-${Math.random()}`,
  time: '2026-01-01T00:00:00.000Z',
  source: '/test',
});

describe('a stale owner whose Elasticsearch write was held while it lost its lease', () => {
  let env: TestEnvironment;
  const proxies: TcpProxy[] = [];
  const stops: (() => Promise<void>)[] = [];

  async function proxy(url: string): Promise<TcpProxy> {
    const target = new URL(url);
    const p = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await p.start();
    proxies.push(p);
    return p;
  }

  function host(leaseDatabaseUrl: string, deps: EngineDeps) {
    const controller = new AbortController();
    const leases = new LeaseManager(leaseDatabaseUrl, env.log);
    const instance = new ProjectionHost([stock], deps, leases);
    const running = instance.run(controller.signal);
    stops.push(async () => {
      controller.abort();
      await running;
    });
    return { host: instance, leases };
  }

  const publish = (events: Parameters<typeof publishMany>[2]) =>
    publishMany(env.infrastructure.nats.js, env.infrastructure.streams, events);

  async function document(): Promise<{ stock: number; _positions: Record<string, number> } | undefined> {
    const { es } = env.infrastructure;
    const index = elasticsearchAlias(env.config.VISTA_NAMESPACE, 'stock_fenced');
    await es.indices.refresh({ index });
    const found = await es.search<{ stock: number; _positions: Record<string, number> }>({
      index,
      query: { ids: { values: ['p1'] } },
    });
    return found.hits.hits[0]?._source;
  }

  beforeEach(async () => {
    env = await testEnvironment();
  });

  afterEach(async () => {
    for (const p of proxies.splice(0)) p.releaseRequests();
    for (const stop of stops.splice(0)) await stop();
    for (const p of proxies) await p.stop();
    await env.cleanup();
  });

  it('loses to the new owner: the document equals the model and no effect is lost', async () => {
    const base = engineDeps(env.config, env.infrastructure, env.log);
    const esA = await proxy(env.config.ELASTICSEARCH_URL);
    const esB = await proxy(env.config.ELASTICSEARCH_URL);
    const pgA = await proxy(env.config.DATABASE_URL);
    const leaseUrlA = new URL(env.config.DATABASE_URL);
    leaseUrlA.host = `127.0.0.1:${pgA.port}`;

    // A folds everything that arrives within 2 s into one batch: its held bulk carries ORDERS 1..300.
    // (It lingers: else a batch goes as soon as the broker says none are pending, mid-publish.)
    const a = host(leaseUrlA.toString(), {
      ...base,
      es: createElasticsearch(esA.url),
      batch: { ...base.batch, maxSize: 2000, idleMs: 1000, maxWaitMs: 2000, lingerMs: 2000 },
    });
    await eventually(async () => (a.host.ownership[0]?.owned ? true : undefined), 30_000, 'A to own it');
    await publish([adjusted(0, 1)]);
    await eventually(async () => (a.host.runners[0]?.progress.positions.CATALOG === 1 ? true : undefined));
    // B commits one event per batch: slow enough to be caught between two of its writes.
    const b = host(env.config.DATABASE_URL, {
      ...base,
      es: createElasticsearch(esB.url),
      batch: { ...base.batch, maxSize: 1, idleMs: 0, maxWaitMs: 1 },
    });

    esA.holdRequests();
    await publish(Array.from({ length: 300 }, (_, i) => placed(i + 1)));
    await eventually(
      async () => (esA.heldRequestText.includes('"ORDERS":300') ? true : undefined),
      30_000,
      "A's bulk with ORDERS 300 to be held",
    );

    // A's lease session ends on the server side and A cannot reconnect: B takes over.
    await pgA.stop();
    await eventually(async () => (b.host.ownership[0]?.owned ? true : undefined), 15_000, 'B to take over');
    // When B is part of the way through ORDERS, +1000 arrives on CATALOG; B commits it soon after.
    await eventually(async () =>
      (b.host.runners[0]?.progress.positions.ORDERS ?? 0) >= 20 ? true : undefined,
    );
    await publish([adjusted(1000, 2)]);
    const atCatalog2 = await eventually(
      async () => {
        const positions = b.host.runners[0]?.progress.positions;
        return positions?.CATALOG === 2 ? { ...positions } : undefined;
      },
      30_000,
      'B to commit CATALOG 2',
    );
    esB.holdRequests();
    // B has written the +1000 into a document that has not absorbed all of A's ORDERS yet.
    expect(atCatalog2.ORDERS ?? 0).toBeLessThan(300);

    // A's held bulk arrives now, after B's writes: it must not land over them.
    esA.releaseRequests();
    await eventually(
      async () => (a.host.ownership[0]?.owned === false ? true : undefined),
      30_000,
      'A to give the projection up',
    );
    expect((await document())?._positions.CATALOG).toBe(2);

    esB.releaseRequests();
    await eventually(
      async () => {
        const positions = b.host.runners[0]?.progress.positions;
        return positions?.CATALOG === 2 && positions.ORDERS === 300 ? true : undefined;
      },
      60_000,
      'B to reach the heads',
    );
    expect(await document()).toEqual({ stock: 1000 - 300, _positions: { CATALOG: 2, ORDERS: 300 } });
    // B records its status after the commit: wait for the record, which a stale A must not overwrite.
    await eventually(
      async () => {
        const { rows } = await env.infrastructure.pool.query<{ status: string }>(
          `SELECT status FROM vista_projections WHERE name = 'stock_fenced'`,
        );
        return rows[0]?.status === 'running' ? true : undefined;
      },
      15_000,
      "B's running status",
    );
  });

  /** Two lease managers that will compete for stock_fenced's lease, its generation in place. */
  async function twoCandidates() {
    const first = new LeaseManager(env.config.DATABASE_URL, env.log);
    const second = new LeaseManager(env.config.DATABASE_URL, env.log);
    stops.push(
      () => first.close(),
      () => second.close(),
    );
    await reconcileGenerations(env.infrastructure.pool, stock, fromBeginning(['CATALOG', 'ORDERS']));
    return { first, second };
  }

  /** Two owners of stock_fenced in turn: the first (epoch 1) frozen past its lease, the second (epoch 2) after it. */
  async function takenOver() {
    const { pool } = env.infrastructure;
    const { first, second } = await twoCandidates();
    const stale = await first.tryAcquire({ projection: 'stock_fenced', partition: 0 });
    expect(stale?.epoch).toBe(1);
    expect(await second.tryAcquire({ projection: 'stock_fenced', partition: 0 })).toBeUndefined();
    // The first owner stops renewing (frozen): once its lease has expired the second takes over.
    await pool.query(`UPDATE vista_leases SET expires_at = now() - interval '1 second'`);
    const current = await second.tryAcquire({ projection: 'stock_fenced', partition: 0 });
    expect(current?.epoch).toBe(2);
    return { stale, current };
  }

  it('a commit or a status report with a superseded epoch fails in its transaction and changes nothing', async () => {
    const { pool } = env.infrastructure;
    const { stale, current } = await takenOver();

    const move = { expected: {}, next: { CATALOG: 5 }, deadLetters: [], resolvedDeadLetters: [] };
    const target = { projection: 'stock_fenced', generation: 1 };
    await expect(commitUnitOfWork(pool, { ...target, fence: stale }, move, {})).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect((await readCheckpoint(pool, 'stock_fenced', 1)).CATALOG).toBe(0);
    await commitUnitOfWork(pool, { ...target, fence: current }, move, {});
    expect((await readCheckpoint(pool, 'stock_fenced', 1)).CATALOG).toBe(5);

    await recordStatus(pool, 'stock_fenced', 1, 'running', null, current);
    await recordStatus(pool, 'stock_fenced', 1, 'retrying', 'the stale owner speaking', stale);
    const { rows } = await pool.query<{ status: string }>(
      `SELECT status FROM vista_projections WHERE name = 'stock_fenced'`,
    );
    expect(rows[0]?.status).toBe('running');
  });

  it('rows sent in the same round trip behind a failing check never land: a superseded epoch, a moved checkpoint', async () => {
    const { pool } = env.infrastructure;
    // The engine's pool pipelines: the rows below are on the wire before the checks answer.
    const client = await pool.connect();
    expect(client.pipeline).toBe(true);
    client.release();
    await pool.query('CREATE TABLE fenced_probe (id text PRIMARY KEY)');
    stops.push(async () => {
      await pool.query('DROP TABLE IF EXISTS fenced_probe');
    });
    const { stale, current } = await takenOver();
    const target = { projection: 'stock_fenced', generation: 1 };
    const row = (id: string) => ({
      statements: (s: Statements) => s.add('INSERT INTO fenced_probe (id) VALUES ($1)', [id]),
    });
    const move = (expected: number, next: number) => ({
      expected: { CATALOG: expected },
      next: { CATALOG: next },
      deadLetters: [],
      resolvedDeadLetters: [],
    });

    await expect(
      commitUnitOfWork(pool, { ...target, fence: stale }, move(0, 5), row('stale owner')),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await commitUnitOfWork(pool, { ...target, fence: current }, move(0, 5), row('owner'));
    await expect(
      commitUnitOfWork(pool, { ...target, fence: current }, move(0, 7), row('stale checkpoint')),
    ).rejects.toBeInstanceOf(StaleCheckpointError);

    const { rows } = await pool.query<{ id: string }>('SELECT id FROM fenced_probe');
    expect(rows.map((r) => r.id)).toEqual(['owner']);
    expect((await readCheckpoint(pool, 'stock_fenced', 1)).CATALOG).toBe(5);
  });

  it('an owner frozen inside its commit holds no row for ever: the take-over comes within a TTL or two', async () => {
    const { pool } = env.infrastructure;
    const { first, second } = await twoCandidates();
    const frozen = await first.tryAcquire({ projection: 'stock_fenced', partition: 0 });
    if (!frozen) throw new Error('the first owner takes the lease');
    // The owner's commit checked its fence (the lease row FOR SHARE) and moved no further: the
    // process was stopped there. Its session is the engine's pool's, as a real commit's is.
    const tx = await pool.connect();
    tx.on('error', () => undefined); // the server ends the frozen session: expected here
    await tx.query('BEGIN');
    await assertFence(tx, frozen);
    await tx.query(`SELECT 1 FROM vista_checkpoints WHERE projection = 'stock_fenced' FOR UPDATE`);
    const frozenAt = Date.now();
    // It renews no more (frozen), so its lease runs out; the standby polls for it.
    await first.close().catch(() => undefined);
    await pool
      .query(`UPDATE vista_leases SET owner = 'a frozen process', expires_at = now() + interval '1 second'`)
      .catch(() => undefined);
    const taken = await second.acquire(
      { projection: 'stock_fenced', partition: 0 },
      AbortSignal.timeout(20_000),
    );
    const tookMs = Date.now() - frozenAt;
    expect(taken?.epoch).toBeGreaterThan(frozen.epoch);
    expect(tookMs).toBeLessThan(10_000);
    // The new owner can commit: the frozen transaction's checkpoint rows were freed with it.
    const move = {
      expected: { CATALOG: 0, ORDERS: 0 },
      next: { CATALOG: 1 },
      deadLetters: [],
      resolvedDeadLetters: [],
    };
    await commitUnitOfWork(pool, { projection: 'stock_fenced', generation: 1, fence: taken }, move, {});
    // The frozen transaction, once it wakes, cannot commit anything.
    await expect(tx.query('COMMIT')).rejects.toThrow();
    tx.release(true);
  });
});
