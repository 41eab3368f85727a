import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import { fromBeginning, readGenerations, reconcileGenerations } from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { stockView } from '../support/shop/stock-view.ts';

const stockAt = (version: number) => stockView('stock_versions', { version });

describe('a generation is built only by the code of its version', () => {
  let env: TestEnvironment;

  beforeEach(async () => {
    env = await testEnvironment();
    await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: StockAdjusted,
      data: { productId: 'p1', delta: 1, reason: 'count' },
      id: 'adj-1',
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });
  });

  afterEach(async () => {
    await env.cleanup();
  });

  it('version 1, rolled back to after version 2 started a generation, leaves that generation alone', async () => {
    const { pool } = env.infrastructure;
    await reconcileGenerations(pool, stockAt(1), fromBeginning(['CATALOG'])); // generation 1, version 1, live
    await reconcileGenerations(pool, stockAt(2), fromBeginning(['CATALOG'])); // version 2 starts generation 2 …
    expect((await readGenerations(pool, 'stock_versions')).building).toMatchObject({
      generation: 2,
      version: 2,
    });

    const v1 = runProjections(env, [stockAt(1)]); // … and is rolled back
    try {
      const runner = await eventually(async () => {
        const [r] = v1.host.runners;
        return r?.progress.positions.CATALOG === 1 ? r : undefined;
      });
      expect(runner.generation).toBe(1);
      // The supervisor starts every generation it runs at once, before any of them commits.
      expect(v1.host.runners.map((r) => r.generation)).toEqual([1]);
      const { rows } = await pool.query(
        `SELECT position FROM vista_checkpoints WHERE projection = 'stock_versions' AND generation = 2`,
      );
      expect(rows).toEqual([{ position: 0 }]);
    } finally {
      await v1.stop();
    }

    const v2 = runProjections(env, [stockAt(2)]); // redeployed: version 2 builds and switches
    try {
      await eventually(async () =>
        (await readGenerations(pool, 'stock_versions')).live?.generation === 2 ? true : undefined,
      );
      expect((await readGenerations(pool, 'stock_versions')).live).toMatchObject({ version: 2 });
    } finally {
      await v2.stop();
    }
  });
});
