import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import { elasticsearchAlias, type Positions } from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import type { OutgoingEvent } from '../../shared/events/publish.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import {
  leaseHolders,
  livePositions,
  projectionStatus,
  projectorSessions,
  reached,
} from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { leaseAcquired, ProjectorProcesses } from '../support/projector-process.ts';
import {
  expectedCustomerStats,
  expectedDailySales,
  expectedOrders,
  expectedProducts,
} from '../support/shop/model.ts';
import {
  expectViewsToMatchModel,
  readCustomerStats,
  readDailySales,
  readOrders,
  readProducts,
  waitForLiveViews,
} from '../support/shop/read-views.ts';

const NAMES = shopApp.projections.map((p) => p.name);

/** The events of `history` at or before `positions`: on a fresh stream, a stream's k-th event has sequence k. */
function upTo(history: readonly OutgoingEvent[], positions: Positions = {}): OutgoingEvent[] {
  const sequence: Positions = {};
  return history.filter((e) => {
    const stream = e.eventType.stream;
    sequence[stream] = (sequence[stream] ?? 0) + 1;
    return sequence[stream] <= (positions[stream] ?? 0);
  });
}

describe('graceful shutdown of a projector process', () => {
  let env: TestEnvironment;
  const processes = new ProjectorProcesses();
  const history = [...demoHistory({ events: 30_000, seed: 81 })];

  beforeAll(async () => {
    env = await testEnvironment();
    await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, history);
  });

  afterAll(async () => {
    await processes.killAll();
    await env?.cleanup();
  });

  it('SIGTERM commits or abandons the current batch cleanly, releases leases and exits 0', async () => {
    processes.printLogsOnFailure();
    const { pool, nats, streams, es } = env.infrastructure;
    const heads = await streamHeads(nats.jsm, streams);
    // Sequences are the history's order per stream (nothing deduplicated or lost on publishing).
    expect(upTo(history, heads)).toHaveLength(history.length);

    const first = processes.start(env, 'first', { BATCH_SIZE: '500' });
    for (const name of NAMES) await first.waitForLog(leaseAcquired(name), `the ${name} lease`);
    await eventually(
      async () => ((await livePositions(pool)).orders?.ORDERS ?? 0) >= 1000 || undefined,
      30_000,
      'orders to commit its first batches',
    );
    const signalledAt = Date.now();
    const code = await first.stop('SIGTERM', 15_000);
    const exitMs = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(5_000);
    const messages = first.lines.map((l) => l.msg);
    expect(messages).toContain('shutting down: finishing the current batch');
    expect(messages.at(-1)).toBe('projectors stopped');
    expect(first.lines.filter((l) => Number(l.level) >= 50)).toEqual([]); // no error on the way out

    // Leases released and every connection to the database closed.
    expect(await leaseHolders(pool, NAMES)).toEqual([]);
    await eventually(
      async () => ((await projectorSessions(pool)).length === 0 ? true : undefined),
      5_000,
      'the projector sessions to end',
    );
    const status = await projectionStatus(pool);
    expect(Object.fromEntries(NAMES.map((name) => [name, status[name]?.status]))).toEqual(
      Object.fromEntries(NAMES.map((name) => [name, 'stopped'])),
    );

    // It stopped mid catch-up, and each view holds exactly the events up to its checkpoint:
    // the last batch was committed with its checkpoint, or not at all.
    const positions = await livePositions(pool);
    expect(reached(positions.orders, { ORDERS: heads.ORDERS, PAYMENTS: heads.PAYMENTS })).toBe(false);
    expect(await readOrders(pool)).toEqual(
      Object.fromEntries(expectedOrders(upTo(history, positions.orders))),
    );
    expect(await readCustomerStats(pool)).toEqual(
      Object.fromEntries(expectedCustomerStats(upTo(history, positions.customer_stats))),
    );
    expect(await readDailySales(pool)).toEqual(
      Object.fromEntries(expectedDailySales(upTo(history, positions.daily_sales))),
    );
    await es.indices.refresh({ index: elasticsearchAlias(env.config.VISTA_NAMESPACE, 'products') });
    expect(await readProducts(es, env.config.VISTA_NAMESPACE)).toEqual(
      Object.fromEntries(expectedProducts(upTo(history, positions.products))),
    );

    // A new process goes on from those checkpoints: nothing lost, nothing applied twice.
    const second = processes.start(env, 'second');
    await second.waitForLog(leaseAcquired('orders'), 'the orders lease');
    await waitForLiveViews(env, 8, 60_000);
    await expectViewsToMatchModel(env, history);
  }, 90_000);
});
