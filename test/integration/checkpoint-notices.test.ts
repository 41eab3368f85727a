import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointWatcher } from '../../api/checkpoint-watcher.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { CHECKPOINT_CHANNEL, type Positions, readLivePositions } from '../../projectors/engine/internal.ts';
import type { Pool } from '../../shared/clients/postgres.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';

/**
 * A commit's NOTIFY carries its checkpoint, and the API's CheckpointWatcher takes a one-partition
 * projection's positions from it instead of reading the checkpoint table back at every commit.
 */
describe('checkpoint notifications carry the positions', () => {
  let env: TestEnvironment;
  let running: ReturnType<typeof runProjections>;
  let watcher: CheckpointWatcher;
  /** Reads the watcher made of the checkpoint table (through its pool). */
  let reads = 0;

  const place = (orderId: string) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      id: `place-${orderId}`,
      time: new Date().toISOString(),
      source: '/test',
      data: { orderId, customerId: 'c1', lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 5 }] },
    });
  /** The environment's schema, which a commit's notice starts with. */
  let schema: string;
  /** Sends a NOTIFY on the checkpoint channel as a commit would (`payload` after the schema, if given). */
  const notify = async (payload: string) => {
    const client = new pg.Client({ connectionString: env.config.DATABASE_URL });
    await client.connect();
    try {
      await client.query('SELECT pg_notify($1, $2)', [CHECKPOINT_CHANNEL, payload]);
    } finally {
      await client.end();
    }
  };
  const liveGeneration = async () => {
    const live = (await readLivePositions(env.infrastructure.pool)).get('orders');
    if (!live) throw new Error('orders has no live generation');
    return live.generation;
  };

  beforeAll(async () => {
    env = await testEnvironment();
    const orders = env.app.projections.find((p) => p.name === 'orders');
    if (!orders) throw new Error('the shop has no orders projection');
    running = runProjections(env, [orders]);
    const { rows } = await env.infrastructure.pool.query<{ schema: string }>(
      'SELECT current_schema() AS schema',
    );
    schema = rows[0]?.schema ?? '';
    const first = await place('first');
    const { pool } = env.infrastructure;
    const counted = {
      query: (...args: Parameters<Pool['query']>) => {
        reads++;
        return pool.query(...args);
      },
    } as unknown as Pool;
    watcher = new CheckpointWatcher(env.config.DATABASE_URL, counted, env.log);
    await watcher.start();
    await eventually(async () => ((watcher.current('orders')?.ORDERS ?? 0) >= first.seq ? true : undefined));
  }, 60_000);

  afterAll(async () => {
    await watcher?.close();
    await running?.stop();
    await env?.cleanup();
  });

  it('follows commit after commit without reading the checkpoints back at each', async () => {
    reads = 0;
    const commits = 30;
    for (let i = 0; i < commits; i++) {
      const ack = await place(`order-${i}`);
      // Each publish is awaited until the watcher knows it: its own commit, its own NOTIFY.
      await eventually(async () => ((watcher.current('orders')?.ORDERS ?? 0) >= ack.seq ? true : undefined));
    }
    // Only the once-a-second safety re-read remains; before, every commit cost one read.
    expect(reads).toBeLessThan(commits / 2);
  });

  it('takes positions from a notice of the live generation; a re-read begun after it reads the table', async () => {
    await running.stop();
    const generation = await liveGeneration();
    const before = watcher.current('orders')?.ORDERS ?? 0;
    const ahead = before + 1_000_000;
    const announced: number[] = [];
    const onChange = (projection: string, positions: Positions) => {
      if (projection === 'orders') announced.push(positions.ORDERS ?? 0);
    };
    watcher.on('change', onChange);
    try {
      await notify(
        `${schema} ${JSON.stringify({ projection: 'orders', generation, partition: 0, positions: { ORDERS: ahead } })}`,
      );
      // The table still says `before`: only the notice can have told the watcher this.
      await eventually(async () => (announced.includes(ahead) ? true : undefined));
    } finally {
      watcher.off('change', onChange);
    }
    // The table is the truth, a notice a shortcut to it: a read that began after it replaces it.
    await watcher.refresh();
    expect(watcher.current('orders')?.ORDERS).toBe(before);
  });

  it("re-reads, and takes nothing from it, on another installation's notice, another generation's, a partition's or a bare name", async () => {
    const generation = await liveGeneration();
    const known = watcher.current('orders')?.ORDERS ?? 0;
    const notice = (fields: Record<string, unknown>) =>
      JSON.stringify({
        projection: 'orders',
        generation,
        partition: 0,
        positions: { ORDERS: known + 5 },
        ...fields,
      });
    for (const payload of [
      // Another installation on the same database, with an orders projection at the same generation.
      `other_installation ${notice({})}`,
      notice({}),
      `${schema} ${notice({ generation: generation + 1 })}`,
      `${schema} ${notice({ partition: 1 })}`,
      'orders',
      `${schema} orders`,
      `${schema} {"projection": "orders", "generation": "one"}`,
    ]) {
      const readsBefore = reads;
      await notify(payload);
      await eventually(async () => (reads > readsBefore ? true : undefined));
      expect(watcher.current('orders')?.ORDERS).toBe(known);
    }
  });
});
