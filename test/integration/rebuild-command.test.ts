import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { orders } from '../../examples/shop/views/orders.ts';
import {
  engineDeps,
  fromBeginning,
  leaseOwners,
  readGenerations,
  rebuild,
  reconcileGenerations,
  runnerFor,
} from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { digestView } from '../support/dump.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';

/**
 * `vista rebuild` when no projector runs: the command takes the lease itself, builds the new
 * generation from sequence 1, switches the public name over, and gives the lease back.
 */
describe('the rebuild command hosting its own rebuild', () => {
  let env: TestEnvironment;
  let heads: Record<string, number>;

  beforeAll(async () => {
    env = await testEnvironment();
    const { nats, streams, pool } = env.infrastructure;
    await publishMany(nats.js, streams, demoHistory({ events: 3_000, seed: 11 }));
    heads = await streamHeads(nats.jsm, streams);
    // Generation 1, built by a runner that then stops: no process owns the projection after it.
    await reconcileGenerations(pool, orders, fromBeginning(['ORDERS', 'PAYMENTS']));
    const stop = new AbortController();
    const runner = runnerFor(orders, 1, engineDeps(env.config, env.infrastructure, env.log));
    const running = runner.run(stop.signal);
    await eventually(async () =>
      runner.progress.positions.ORDERS === heads.ORDERS &&
      runner.progress.positions.PAYMENTS === heads.PAYMENTS
        ? true
        : undefined,
    );
    stop.abort();
    await running;
    expect((await readGenerations(pool, 'orders')).live?.generation).toBe(1);
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('builds generation 2 in its own process, switches to it and releases the lease', async () => {
    const { pool } = env.infrastructure;
    const before = await digestView(pool, 'orders');
    expect(before.rows).toBeGreaterThan(100);
    const lines: string[] = [];
    const result = await rebuild(
      orders,
      engineDeps(env.config, env.infrastructure, env.log),
      env.config.DATABASE_URL,
      env.log,
      (line) => lines.push(line),
    );
    expect(result.generation).toBe(2);
    expect(result.events).toBe((heads.ORDERS ?? 0) + (heads.PAYMENTS ?? 0));
    expect(lines[0]).toBe('no projector owns it: rebuilding in this process');
    expect(lines.at(-1)).toMatch(/100% \d+\/\d+ events .*\ngeneration 2 is live$/);
    const { live, building } = await readGenerations(pool, 'orders');
    expect([live?.generation, building]).toEqual([2, undefined]);
    expect(await digestView(pool, 'orders')).toEqual(before);
    expect((await leaseOwners(pool)).filter((lease) => lease.projection === 'orders')).toEqual([]);
  });
});
