import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineDeps, generationOf, storeContext } from '../../projectors/engine/internal.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';

/**
 * A building generation of a table view is loaded with its primary key only; its secondary
 * indexes are built before it takes over (prepareSwitch), and a live generation has them from
 * the start. (rebuild.test.ts checks them on generations a real rebuild switched to.)
 */
describe("a table view's secondary indexes", () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  const indexesOf = async (table: string) => {
    const { rows } = await env.infrastructure.pool.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY 1',
      [table],
    );
    return rows.map((r) => r.indexname);
  };

  const storageOf = (generation: number) => {
    const orders = env.app.projections.find((p) => p.name === 'orders');
    if (!orders) throw new Error('the shop has no orders projection');
    const deps = engineDeps(env.config, env.infrastructure, env.log);
    return generationOf(orders, generation, storeContext(deps), undefined).storage;
  };

  const ALL = [
    'orders__g901__customer_id_placed_at',
    'orders__g901__placed_at',
    'orders__g901__status_placed_at',
    // totalCents is sortable in the API: the view gets an index for it too.
    'orders__g901__total_cents',
    'orders__g901_pkey',
  ];

  it('a building generation gets them before the switch, once, however many owners ask', async () => {
    const storage = storageOf(901);
    await storage.ensure('building');
    expect(await indexesOf('orders__g901')).toEqual(['orders__g901_pkey']);
    // Partitions' owners each ready their own storage of the one table, at the same time.
    await Promise.all([storage, storageOf(901), storageOf(901)].map((s) => s.prepareSwitch?.()));
    expect(await indexesOf('orders__g901')).toEqual(ALL);
    // A restart of the now live generation changes nothing.
    await storage.ensure('live');
    expect(await indexesOf('orders__g901')).toEqual(ALL);
  });

  it('a switch retried round after round readies the table once, not taking its lock again', async () => {
    const storage = storageOf(903);
    await storage.ensure('building');
    await storage.prepareSwitch?.();
    // A writer's transaction holds the table: building an index would wait for it to end (and
    // the server ends the writer's idle session after half a lease's TTL: the wait is shorter).
    const writer = await env.infrastructure.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('LOCK TABLE orders__g903 IN ROW EXCLUSIVE MODE');
      const again = storage.prepareSwitch?.().then(() => 'returned');
      const timeout = new Promise((resolve) => setTimeout(() => resolve('waited for the lock'), 1000));
      expect(await Promise.race([again, timeout])).toBe('returned');
    } finally {
      await writer.query('ROLLBACK');
      writer.release();
    }
  });

  it('a generation that starts live has them at once', async () => {
    await storageOf(902).ensure('live');
    expect(await indexesOf('orders__g902')).toEqual(ALL.map((name) => name.replace('g901', 'g902')));
  });
});
