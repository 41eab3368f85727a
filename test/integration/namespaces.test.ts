import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import { isolatedInstallation, publishMany, readStatus } from '../../projectors/engine/internal.ts';
import { splitSchema } from '../../shared/clients/database-url.ts';
import { livePositions } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';

/** Two installations, two namespaces, one PostgreSQL database. */
describe('namespaces on one database', () => {
  let busy: TestEnvironment;
  let empty: TestEnvironment;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    busy = await testEnvironment();
    empty = await isolatedInstallation(shopApp, { DATABASE_URL: busy.env.DATABASE_URL as string });
  });

  afterAll(async () => {
    for (const stop of stops.splice(0)) await stop();
    await empty?.cleanup();
    await busy?.cleanup();
  });

  it('see nothing of each other: not checkpoints, not generations, not rows, not status', async () => {
    expect(new URL(empty.config.DATABASE_URL).pathname).toBe(new URL(busy.config.DATABASE_URL).pathname);
    await publishMany(
      busy.infrastructure.nats.js,
      busy.infrastructure.streams,
      demoHistory({ events: 500, seed: 5 }),
    );
    for (const env of [busy, empty]) stops.push(runProjections(env).stop);
    await waitForLiveViews(busy, 8);
    // The empty installation runs its own projections, over its own empty streams.
    await eventually(
      async () => {
        const status = await readStatus(
          empty.infrastructure.pool,
          empty.infrastructure.nats.jsm,
          empty.infrastructure.streams,
        );
        return status.length === 4 && status.every((s) => s.status === 'running') ? status : undefined;
      },
      60_000,
      'the empty installation to run',
    );

    const busyPositions = await livePositions(busy.infrastructure.pool);
    const emptyPositions = await livePositions(empty.infrastructure.pool);
    expect(busyPositions.orders?.ORDERS).toBeGreaterThan(0);
    expect(Object.values(emptyPositions).flatMap((p) => Object.values(p ?? {}))).toEqual(
      Array.from({ length: 8 }, () => 0),
    );
    const count = async (env: TestEnvironment, table: string) =>
      (await env.infrastructure.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]
        ?.n;
    expect(await count(busy, 'orders')).toBeGreaterThan(0);
    expect(await count(empty, 'orders')).toBe(0);
    expect(await count(empty, 'customer_stats')).toBe(0);
    // Each installation's tables are in the schema of its namespace.
    const { rows } = await busy.infrastructure.pool.query<{ schema: string; n: number }>(
      `SELECT schemaname AS schema, count(*)::int AS n FROM pg_tables WHERE tablename = 'vista_checkpoints' GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.map((r) => r.schema).sort()).toEqual(
      [splitSchema(busy.config.DATABASE_URL).schema, splitSchema(empty.config.DATABASE_URL).schema].sort(),
    );

    // The API of the empty installation serves its own (empty) views and positions.
    const api = await startApi(empty);
    stops.push(api.close);
    const answer = await api.query(
      '{ orders(first: 5) { totalCount } projections { name positions { stream position } } }',
    );
    expect(answer.body.errors).toBeUndefined();
    expect((answer.body.data as { orders: { totalCount: number } }).orders.totalCount).toBe(0);
    const projections = (answer.body.data as { projections: { positions: { position: number }[] }[] })
      .projections;
    expect(projections.flatMap((p) => p.positions.map((s) => s.position))).toEqual(
      Array.from({ length: 8 }, () => 0),
    );
  });
});
