import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { CHECKPOINT_CHANNEL, readGenerations, requestRebuild } from '../../projectors/engine/internal.ts';
import { createDedicatedClient } from '../../shared/clients/postgres.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { stockView } from '../support/shop/stock-view.ts';

const stock = stockView('stock_switch');

describe('the switch to a rebuilt generation', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;

  beforeEach(async () => {
    env = await testEnvironment();
    await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: StockAdjusted,
      data: { productId: 'p1', delta: 1, reason: 'count' },
      id: 'adj-1',
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });
    projections = runProjections(env, [stock]);
  });

  afterEach(async () => {
    await projections.stop();
    await env.cleanup();
  });

  it('notifies waiting readers when it commits, on a quiet stream too', async () => {
    const { pool } = env.infrastructure;
    await eventually(async () =>
      projections.host.runners[0]?.progress.positions.CATALOG === 1 ? true : undefined,
    );
    const listener = createDedicatedClient(env.config.DATABASE_URL, 'test-listener');
    const heard: { at: number; payload: string | undefined }[] = [];
    listener.on('notification', (n) => heard.push({ at: Date.now(), payload: n.payload }));
    await listener.connect();
    try {
      await listener.query(`LISTEN ${CHECKPOINT_CHANNEL}`);
      expect(await requestRebuild(pool, 'stock_switch')).toBe(true);
      await eventually(async () =>
        (await readGenerations(pool, 'stock_switch')).live?.generation === 2 ? true : undefined,
      );
      const { rows } = await pool.query<{ live_at: Date }>(
        `SELECT live_at FROM vista_generations WHERE projection = 'stock_switch' AND generation = 2`,
      );
      const switchedAt = (rows[0] as { live_at: Date }).live_at.getTime();
      // Nothing commits after the switch on a quiet stream: a notification after it is the switch's.
      await eventually(async () =>
        heard.some((n) => n.at >= switchedAt && n.payload === 'stock_switch') ? true : undefined,
      );
    } finally {
      await listener.end();
    }
  });
});
