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

  it('two processes share the projections, each processed by one at a time; killing an owner hands over from the checkpoint with nothing lost or doubled', async () => {
    processes.printLogsOnFailure();
    const { pool, nats, streams } = env.infrastructure;
    sampler = sampleLeases(pool);
    // Small batches: catching up takes hundreds of commits, so the kill lands among them.
    const both = [
      processes.start(env, 'A', { BATCH_SIZE: '200' }),
      processes.start(env, 'B', { BATCH_SIZE: '200' }),
    ] as const;
    await Promise.all(both.map((p) => p.waitForLog((l) => l.msg === 'projectors started', 'its start')));
    // Started together, they split the projections evenly (two each) before any event is read.
    const owners = await eventually(
      async () => {
        const held = await leaseHolders(pool, NAMES);
        const of = (p: ProjectorProcess) => held.filter((l) => l.owner.includes(`:${p.pid}:`));
        if (held.length !== NAMES.length || both.some((p) => of(p).length !== NAMES.length / 2))
          return undefined;
        return new Map(
          held.map((l) => [
            l.projection,
            both.find((p) => l.owner.includes(`:${p.pid}:`)) as ProjectorProcess,
          ]),
        );
      },
      20_000,
      'the projections to be shared two and two',
    );
    // The catalog shows a lease before its holder's log line has come through the pipe (a busy
    // core delays it): each holder's line is awaited before the lines are counted.
    for (const [name, p] of owners) await p.waitForLog(leaseAcquired(name), `its lease of ${name}`);
    const acquiredBefore = new Map(
      both.map((p) => [p, new Map(NAMES.map((name) => [name, p.lines.filter(leaseAcquired(name)).length]))]),
    );
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
      // Since they shared the projections, nothing has moved: no process took another unit.
      for (const p of both) {
        for (const name of NAMES)
          expect(p.lines.filter(leaseAcquired(name)).length, `${p.label} ${name}`).toBe(
            acquiredBefore.get(p)?.get(name),
          );
      }
      const killedAt = Date.now();
      expect(await owner.stop('SIGKILL')).toBeNull();
      const before = acquiredBefore.get(survivor)?.get('orders') ?? 0;
      const acquired = await survivor.waitForLog(
        (l) =>
          leaseAcquired('orders')(l) && survivor.lines.filter(leaseAcquired('orders')).indexOf(l) >= before,
        'taking orders over',
        15_000,
      );
      const takeoverMs = (acquired.time ?? Date.now()) - killedAt;
      const atTakeover = total((await livePositions(pool)).orders);
      // Every other projection the dead process owned moves over too.
      for (const [name, p] of owners) {
        if (p !== owner) continue;
        await eventually(
          async () =>
            survivor.lines.filter(leaseAcquired(name)).length > (acquiredBefore.get(survivor)?.get(name) ?? 0)
              ? true
              : undefined,
          15_000,
          `the survivor taking ${name} over`,
        );
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
    // The survivor took each of the dead owner's projections once: no flapping back and forth.
    for (const name of NAMES) {
      const taken =
        survivor.lines.filter(leaseAcquired(name)).length - (acquiredBefore.get(survivor)?.get(name) ?? 0);
      expect(taken, name).toBe(owners.get(name) === owner ? 1 : 0);
    }

    const leases = await sampler.stop();
    expect(leases.samples).toBeGreaterThan(20);
    // orders ended with two tenures (the dead owner's, then the survivor's), the survivor's
    // with a higher epoch, so nothing the dead owner had in flight could land after it took
    // over; every tenure's epoch is above the one before (the split at the start included).
    const orders = leases.tenures.orders ?? [];
    const [dead, taker] = orders.slice(-2);
    expect(dead?.owner).toContain(`:${owner.pid}:`);
    expect(taker?.owner).toContain(`:${survivor.pid}:`);
    for (let i = 1; i < orders.length; i++)
      expect((orders[i]?.epoch ?? 0) > (orders[i - 1]?.epoch ?? 0)).toBe(true);

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
