import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { createPool } from '../../shared/clients/postgres.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { projectionStatus } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { stockView } from '../support/shop/stock-view.ts';

const stock = stockView('stock_supervised');

describe('the supervisor and the runners', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;

  const adjust = (n: number) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: StockAdjusted,
      data: { productId: 'p1', delta: 1, reason: 'count' },
      id: `adj-${n}`,
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });

  const runnerAt = (position: number) =>
    eventually(async () => {
      const [runner] = projections.host.runners;
      return runner?.progress.positions.CATALOG === position ? runner : undefined;
    });

  beforeEach(async () => {
    env = await testEnvironment();
    await adjust(1);
    projections = runProjections(env, [stock]);
  });

  afterEach(async () => {
    await projections.stop();
    await env.cleanup();
  });

  it('a failing supervision round neither stops the runners nor gives up the lease', async () => {
    const runner = await runnerAt(1);
    const { pool } = env.infrastructure;
    const failuresBefore = projections.host.supervisionFailures;
    // The supervisor reads vista_projections every round; the runners' commits do not need it.
    await pool.query('ALTER TABLE vista_projections RENAME TO vista_projections_away');
    try {
      await eventually(async () =>
        projections.host.supervisionFailures >= failuresBefore + 2 ? true : undefined,
      );
      await adjust(2);
      await eventually(async () => (runner.progress.positions.CATALOG === 2 ? true : undefined));
    } finally {
      await pool.query('ALTER TABLE vista_projections_away RENAME TO vista_projections');
    }
    expect(projections.host.runners).toEqual([runner]);
    await adjust(3);
    await eventually(async () => (runner.progress.positions.CATALOG === 3 ? true : undefined));
  });

  it('a lag over-claimed by the last message read is corrected from the stream by the next rounds', async () => {
    const runner = await runnerAt(1);
    await eventually(async () => (runner.progress.status === 'running' ? true : undefined));
    // What the runner holds after its last message said more were pending (nats-server 2.9
    // can, at a stream's last message) when no further event comes to say otherwise.
    runner.progress.pending.CATALOG = 3;
    runner.status.followLag();
    expect(runner.progress.status).toBe('catching_up');
    await eventually(async () => (runner.progress.status === 'running' ? true : undefined));
    expect(runner.progress.pending.CATALOG).toBe(0);
    await eventually(async () =>
      (await projectionStatus(env.infrastructure.pool))[stock.name]?.status === 'running' ? true : undefined,
    );
  });

  it('resume polls do not pile up behind a row a switch holds', async () => {
    await runnerAt(1);
    const { pool } = env.infrastructure;
    // Another party's session (the API's, say): the engine's own pool ends a session left idle
    // in a transaction, which is what this one must do for a while.
    const others = createPool(env.config.DATABASE_URL, { applicationName: 'vista-test-other' });
    const holder = await others.connect();
    const waiting = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query LIKE '%UPDATE vista_generations SET resume_requested%'`,
        )
      ).rows[0]?.n ?? 0;
    try {
      // A resume request is pending (the polls only wait for a row they would change) while
      // the row is held; the runner may take the request first, then we try again.
      await eventually(async () => {
        await pool.query(
          `UPDATE vista_generations SET resume_requested = true WHERE projection = 'stock_supervised'`,
        );
        await holder.query('BEGIN');
        const { rows } = await holder.query(
          `SELECT resume_requested FROM vista_generations WHERE projection = 'stock_supervised' FOR UPDATE`,
        );
        if (rows[0]?.resume_requested) return true;
        await holder.query('ROLLBACK');
        return undefined;
      });
      await eventually(async () => ((await waiting()) >= 1 ? true : undefined));
      // An absence over several poll periods (1 s each): without a guard one more poll queues each second.
      const deadline = Date.now() + 4500;
      let most = 0;
      while (Date.now() < deadline) {
        most = Math.max(most, await waiting());
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(most).toBe(1);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await others.end();
    }
  });
});
