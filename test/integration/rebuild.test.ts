import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { elasticsearchAlias, readGenerations, requestRebuild } from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { digestIndex, digestView } from '../support/dump.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';

/** Blue/green rebuilds: the API serves the old generation until the new one takes over atomically. */
describe('rebuild by replay', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApi>>;
  let projections: ReturnType<typeof runProjections>;
  const history = [...demoHistory({ events: 20_000, seed: 7 })];

  const caughtUp = async () => {
    const { nats, streams, pool } = env.infrastructure;
    const heads = await streamHeads(nats.jsm, streams);
    await eventually(
      async () => {
        const { rows } = await pool.query<{ behind: number; sources: number }>(
          `SELECT count(*) AS sources, count(*) FILTER (WHERE c.position < CASE c.stream WHEN 'CATALOG' THEN $1::bigint WHEN 'ORDERS' THEN $2::bigint ELSE $3::bigint END) AS behind
             FROM vista_checkpoints c JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation`,
          [heads.CATALOG, heads.ORDERS, heads.PAYMENTS],
        );
        // Every source of every live generation exists and is at its stream's head.
        return rows[0]?.sources === 8 && rows[0]?.behind === 0 ? true : undefined;
      },
      90_000,
      'live generations to catch up',
    );
  };

  const rebuilt = async (projection: string, from: number) =>
    eventually(
      async () => {
        const { live } = await readGenerations(env.infrastructure.pool, projection);
        return live && live.generation !== from ? live.generation : undefined;
      },
      90_000,
      `${projection} to cut over`,
    );

  beforeAll(async () => {
    env = await testEnvironment();
    const { nats, streams } = env.infrastructure;
    await publishMany(nats.js, streams, history);
    projections = runProjections(env);
    api = await startApi(env);
    await caughtUp();
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it('a rebuilt view equals the live one at the same positions (orders, customer_stats, products)', async () => {
    const { pool, es } = env.infrastructure;
    const products = elasticsearchAlias(env.config.VISTA_NAMESPACE, 'products');
    const before = {
      orders: await digestView(pool, 'orders'),
      customers: await digestView(pool, 'customer_stats'),
      products: await digestIndex(es, products),
    };
    expect(before.orders.rows).toBeGreaterThan(1000);
    for (const name of ['orders', 'customer_stats', 'products']) {
      const { live } = await readGenerations(pool, name);
      expect(await requestRebuild(pool, name)).toBe(true);
      expect(await rebuilt(name, live?.generation as number)).toBe((live?.generation as number) + 1);
    }
    // Loaded without its secondary indexes, the rebuilt table got them before it took over.
    const { live: orders } = await readGenerations(pool, 'orders');
    const { rows: indexes } = await pool.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1',
      [`orders__g${orders?.generation}`],
    );
    expect(indexes).toHaveLength(5);
    expect({
      orders: await digestView(pool, 'orders'),
      customers: await digestView(pool, 'customer_stats'),
      products: await digestIndex(es, products),
    }).toEqual(before);
  });

  it('GraphQL never sees a missing or partial view during a rebuild while events keep arriving', async () => {
    const { pool, nats, streams } = env.infrastructure;
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM orders ORDER BY placed_at LIMIT 1');
    const knownId = rows[0]?.id as string;
    const { live } = await readGenerations(pool, 'orders');
    const failures: string[] = [];
    // Answers are counted by the phase their query was asked in.
    type Phase = 'before' | 'during' | 'after';
    let phase = 'before' as Phase;
    const answered: Record<Phase, number> = { before: 0, during: 0, after: 0 };
    let querying = true;
    const loop = (async () => {
      while (querying) {
        const asked = phase;
        const { status, body } = await api.query<{
          orders: { edges: unknown[] };
          order: { id: string } | null;
        }>(`{ orders(first: 100) { edges { node { id } } } order(id: "${knownId}") { id } }`);
        answered[asked]++;
        if (status !== 200 || body.errors) failures.push(JSON.stringify(body.errors ?? status));
        else if (body.data?.orders.edges.length !== 100)
          failures.push(`page of ${body.data?.orders.edges.length}`);
        else if (body.data.order?.id !== knownId) failures.push('known order missing');
      }
    })();
    await eventually(async () => (answered.before >= 3 ? true : undefined), 30_000, 'queries answered');
    phase = 'during';
    // New events keep flowing while the rebuild runs: the live generation keeps consuming.
    const more = publishMany(nats.js, streams, demoHistory({ events: 3000, seed: 8 }));
    await requestRebuild(pool, 'orders');
    const generation = await rebuilt('orders', live?.generation as number);
    phase = 'after';
    await more;
    await caughtUp();
    await eventually(async () => (answered.after >= 3 ? true : undefined), 30_000, 'queries answered');
    querying = false;
    await loop;
    expect(failures).toEqual([]);
    // Some were asked while the rebuild ran (it takes seconds; a query, milliseconds to a few
    // hundred on a busy machine), not only before and after it.
    expect(answered.during).toBeGreaterThan(0);
    expect(generation).toBe((live?.generation as number) + 1);
    // The retired generation's storage is gone: the owner drops it a query timeout after the
    // cut-over (searches started before it finish first), its table and then its lookup table,
    // so the check waits for the drop to finish.
    const expected = [`orders__g${generation}`, `orders__g${generation}__lookup`];
    const tables = async () =>
      (
        await pool.query<{ tablename: string }>(
          "SELECT tablename FROM pg_tables WHERE tablename LIKE 'orders\\_\\_g%'",
        )
      ).rows
        .map((t) => t.tablename)
        .sort();
    await eventually(
      async () => ((await tables()).join() === expected.join() ? true : undefined),
      60_000,
      'the retired generation to be dropped',
    ).catch(() => undefined);
    expect(await tables()).toEqual(expected);
  });
});
