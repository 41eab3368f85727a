import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import shopApp from '../../examples/shop/index.ts';
import type { Positions } from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import type { Pool } from '../../shared/clients/postgres.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { leaseHolders, livePositions } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { leaseAcquired, type ProjectorProcess, ProjectorProcesses } from '../support/projector-process.ts';
import {
  expectedCustomerStats,
  expectedDailySales,
  expectedOrders,
  expectedProducts,
} from '../support/shop/model.ts';
import {
  readCustomerStats,
  readDailySales,
  readOrders,
  readProducts,
  waitForLiveViews,
} from '../support/shop/read-views.ts';

const NAMES = shopApp.projections.map((p) => p.name);
const CHUNK = 2000;

/**
 * Samples the leases in PostgreSQL until `stop`: per projection, every (owner, epoch) seen
 * holding it, in the order seen.
 */
function sampleLeases(pool: Pool, everyMs = 100) {
  const tenures = Object.fromEntries(NAMES.map((name) => [name, [] as { owner: string; epoch: number }[]]));
  let samples = 0;
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      const held = await leaseHolders(pool, NAMES);
      samples++;
      for (const { projection, owner, epoch } of held) {
        const seen = tenures[projection] as { owner: string; epoch: number }[];
        const last = seen.at(-1);
        if (last?.owner !== owner || last.epoch !== epoch) seen.push({ owner, epoch });
      }
      await sleep(everyMs);
    }
  })();
  // Marked handled here; `stop` awaits it and so rethrows whatever failed.
  sampling.catch(() => undefined);
  return {
    stop: async () => {
      stopped = true;
      await sampling;
      return { samples, tenures };
    },
  };
}

function total(positions: Positions | undefined): number {
  return Object.values(positions ?? {}).reduce<number>((sum, p) => sum + (p ?? 0), 0);
}

describe('leases: two projector processes on one installation', () => {
  let env: TestEnvironment;
  let sampler: ReturnType<typeof sampleLeases> | undefined;
  const processes = new ProjectorProcesses();
  const history = [...demoHistory({ events: 20_000, seed: 71 })];

  beforeAll(async () => {
    env = await testEnvironment();
  });

  afterAll(async () => {
    await processes.killAll();
    // Stopped and checked by the test already, unless it failed before: then only stop sampling.
    await sampler?.stop().catch(() => undefined);
    await env?.cleanup();
  });

  it('each projection is processed by exactly one; killing the owner hands over from the checkpoint with nothing lost or doubled', async () => {
    processes.printLogsOnFailure();
    const { pool, nats, streams } = env.infrastructure;
    sampler = sampleLeases(pool);
    // Small batches: catching up takes hundreds of commits, so the kill lands among them.
    const both = [
      processes.start(env, 'A', { BATCH_SIZE: '200' }),
      processes.start(env, 'B', { BATCH_SIZE: '200' }),
    ] as const;
    await Promise.all(both.map((p) => p.waitForLog((l) => l.msg === 'projectors started', 'its start')));
    const owners = new Map<string, ProjectorProcess>();
    for (const name of NAMES) {
      const owner = await eventually(
        async () => both.find((p) => p.lines.some(leaseAcquired(name))),
        10_000,
        `an owner of ${name}`,
      );
      owners.set(name, owner);
    }
    const owner = owners.get('orders') as ProjectorProcess;
    const survivor = both.find((p) => p !== owner) as ProjectorProcess;

    const publishing = (async () => {
      for (let at = 0; at < history.length; at += CHUNK) {
        await publishMany(nats.js, streams, history.slice(at, at + CHUNK));
        await sleep(100);
      }
    })();
    const handOver = (async () => {
      // Mid catch-up: orders has committed real progress and is behind what is published.
      const atKill = await eventually(
        async () => {
          const position = total((await livePositions(pool)).orders);
          const published = total(await streamHeads(nats.jsm, streams, ['ORDERS', 'PAYMENTS']));
          return position >= 2000 && position < published ? position : undefined;
        },
        30_000,
        'orders to be caught up part of the way',
      );
      // Until now one process has owned each projection; the other has stood by.
      for (const name of NAMES) {
        expect(
          both.filter((p) => p.lines.some(leaseAcquired(name))).map((p) => p.label),
          name,
        ).toEqual([owners.get(name)?.label]);
      }
      const killedAt = Date.now();
      expect(await owner.stop('SIGKILL')).toBeNull();
      const acquired = await survivor.waitForLog(leaseAcquired('orders'), 'taking orders over', 15_000);
      const takeoverMs = (acquired.time ?? Date.now()) - killedAt;
      const atTakeover = total((await livePositions(pool)).orders);
      // Every other projection the dead process owned moves over too.
      for (const [name, p] of owners) {
        if (p === owner) await survivor.waitForLog(leaseAcquired(name), `taking ${name} over`, 15_000);
      }
      return { atKill, takeoverMs, atTakeover };
    })();
    const [, { atKill, takeoverMs, atTakeover }] = await Promise.all([publishing, handOver]);

    expect(takeoverMs).toBeLessThan(10_000);
    // The survivor goes on from the checkpoint the dead owner committed, with work left to do.
    expect(atTakeover).toBeGreaterThanOrEqual(atKill);
    const heads = await streamHeads(nats.jsm, streams);
    expect(atTakeover).toBeLessThan((heads.ORDERS ?? 0) + (heads.PAYMENTS ?? 0));
    await waitForLiveViews(env, 8, 60_000);
    // Each process acquired each lease at most once: no flapping back and forth.
    for (const p of both) {
      for (const name of NAMES) expect(p.lines.filter(leaseAcquired(name)).length).toBeLessThanOrEqual(1);
    }

    const leases = await sampler.stop();
    expect(leases.samples).toBeGreaterThan(20);
    // orders had two tenures (the dead owner's, then the survivor's), the survivor's with a
    // higher epoch, so nothing the dead owner had in flight could land after it took over.
    const orders = leases.tenures.orders ?? [];
    expect(orders.map((t) => t.owner)).toHaveLength(2);
    expect(new Set(orders.map((t) => t.owner)).size).toBe(2);
    expect((orders[1]?.epoch ?? 0) > (orders[0]?.epoch ?? 0)).toBe(true);

    const expected = expectedOrders(history);
    expect(await readOrders(pool)).toEqual(Object.fromEntries(expected));
    const customers = expectedCustomerStats(history);
    const { rows } = await pool.query<{ orders: number; cancelled: number; spend: number }>(
      `SELECT sum(order_count)::int AS orders, sum(cancelled_count)::int AS cancelled,
              sum(lifetime_spend_cents)::bigint AS spend FROM customer_stats`,
    );
    expect(rows[0]).toEqual({
      orders: expected.size,
      cancelled: [...expected.values()].filter((o) => o.status === 'CANCELLED').length,
      spend: [...customers.values()].reduce((sum, c) => sum + c.lifetimeSpendCents, 0),
    });
    expect(await readCustomerStats(pool)).toEqual(Object.fromEntries(customers));
    expect(await readProducts(env.infrastructure.es, env.config.VISTA_NAMESPACE)).toEqual(
      Object.fromEntries(expectedProducts(history)),
    );
    expect(await readDailySales(pool)).toEqual(Object.fromEntries(expectedDailySales(history)));
  }, 90_000);
});
