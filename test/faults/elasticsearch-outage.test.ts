import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { ChildProjector } from '../support/child-projector.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { service } from '../support/services.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

/** Elasticsearch down for a while: the PostgreSQL views keep advancing; products catches up after. */
describe('Elasticsearch outage', () => {
  let env: TestEnvironment;
  let projector: ChildProjector;
  const before = [...demoHistory({ events: 5000, seed: 41 })];
  const during = [...demoHistory({ events: 5000, seed: 42 })];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, before);
    projector = new ChildProjector(env);
    await waitForLiveViews(env, 8);
  });

  afterAll(async () => {
    await service('start', 'elasticsearch');
    await projector?.stop('SIGKILL');
    await env?.cleanup();
  });

  it('keeps the PostgreSQL views advancing, then products catches up', async () => {
    const { pool, nats, streams } = env.infrastructure;
    const outageStarted = Date.now();
    await service('stop', 'elasticsearch');
    await publishMany(nats.js, streams, during);
    const heads = await streamHeads(nats.jsm, streams);
    const position = async (projection: string, stream: string) =>
      Number(
        (
          await pool.query(
            `SELECT c.position FROM vista_checkpoints c JOIN vista_projections p
               ON p.name = c.projection AND p.generation = c.generation WHERE c.projection = $1 AND c.stream = $2`,
            [projection, stream],
          )
        ).rows[0]?.position,
      );
    await eventually(
      async () =>
        (await position('orders', 'ORDERS')) === heads.ORDERS &&
        (await position('customer_stats', 'PAYMENTS')) === heads.PAYMENTS &&
        (await position('daily_sales', 'CATALOG')) === heads.CATALOG
          ? true
          : undefined,
      60_000,
      'the PostgreSQL views to advance while Elasticsearch is down',
    );
    expect(await position('products', 'CATALOG')).toBeLessThan(heads.CATALOG ?? 0);
    await eventually(async () => {
      const { rows } = await pool.query(`SELECT status FROM vista_projections WHERE name = 'products'`);
      return rows[0]?.status === 'retrying' ? true : undefined;
    });
    // Hold the outage for its full length before bringing Elasticsearch back.
    const outageMs = scaled(10_000, 30_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageMs - (Date.now() - outageStarted))));
    expect(projector.exited).toBe(false);

    await service('start', 'elasticsearch');
    await waitForLiveViews(env, 8, 180_000);
    await expectViewsToMatchModel(env, [...before, ...during]);
  });
});
