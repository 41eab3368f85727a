import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../projectors/demo/history.ts';
import { publishMany } from '../../projectors/demo/publish-many.ts';
import { LEASE_NAMESPACE } from '../../projectors/engine/lease.ts';
import { ChildProjector } from '../support/child-projector.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/read-views.ts';

describe('graceful shutdown', () => {
  let env: TestEnvironment;
  let projector: ChildProjector | undefined;
  const history = [...demoHistory({ events: 30_000, seed: 81 })];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
  });

  afterAll(async () => {
    await projector?.stop('SIGKILL');
    await env?.cleanup();
  });

  it('SIGTERM mid-catch-up ends the batch cleanly, releases the leases and exits 0', async () => {
    const { pool } = env.infrastructure;
    const first = new ChildProjector(env, { BATCH_SIZE: '500' });
    projector = first;
    await eventually(async () => {
      const { rows } = await pool
        .query<{ p: number }>('SELECT coalesce(sum(position), 0)::int AS p FROM vista_checkpoints')
        .catch(() => ({ rows: [] as { p: number }[] }));
      return (rows[0]?.p ?? 0) > 0 ? true : undefined;
    });
    const started = Date.now();
    const code = await first.stop('SIGTERM');
    expect(code, first.log).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(first.log).toContain('projectors stopped');

    const locks = await pool.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LEASE_NAMESPACE],
    );
    expect(locks.rowCount).toBe(0);
    const { rows } = await pool.query<{ name: string; status: string }>(
      'SELECT name, status FROM vista_projections ORDER BY name',
    );
    expect(rows.map((r) => `${r.name}:${r.status}`)).toEqual(
      ['customer_stats', 'daily_sales', 'orders', 'products'].map((name) => `${name}:stopped`),
    );

    // A new process goes on from the checkpoints: nothing lost, nothing applied twice.
    projector = new ChildProjector(env);
    await waitForLiveViews(env, 8, 180_000);
    await expectViewsToMatchModel(env, history);
  });
});
