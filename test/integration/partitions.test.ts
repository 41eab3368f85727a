import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import type { Pool } from '../../shared/clients/postgres.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { type LeaseHolder, leaseHolders, livePositions } from '../support/engine-state.ts';
import { eventually, type TestEnvironment } from '../support/environment.ts';
import { type ProjectorProcess, processesOn } from '../support/projector-process.ts';
import partitionedShop, { PARTITIONED_APP } from '../support/shop/partitioned.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

const NAMES = partitionedShop.projections.map((p) => p.name);
/** orders ×4, products ×2, customer_stats and daily_sales: units the processes share. */
const UNITS = partitionedShop.projections.reduce((sum, p) => sum + (p.partitions ?? 1), 0);
const SETTINGS = { VISTA_APP: PARTITIONED_APP, BATCH_SIZE: '200' };

/** The units each process owns now, by process. */
async function unitsOf(
  pool: Pool,
  processes: readonly ProjectorProcess[],
): Promise<Map<ProjectorProcess, LeaseHolder[]>> {
  const held = await leaseHolders(pool, NAMES);
  return new Map(processes.map((p) => [p, held.filter((l) => l.owner.includes(`:${p.pid}:`))]));
}

/** Waits until the processes own `counts` units each (in order), all units owned. */
function waitForShares(
  pool: Pool,
  processes: readonly ProjectorProcess[],
  counts: readonly number[],
  what: string,
) {
  return eventually(
    async () => {
      const units = await unitsOf(pool, processes);
      return processes.every((p, i) => units.get(p)?.length === counts[i]) ? units : undefined;
    },
    30_000,
    what,
  );
}

/** Publishes `history` in chunks, a little apart, so that processes catch up while it grows. */
async function publishSlowly(
  env: TestEnvironment,
  history: ReturnType<typeof demoHistory> extends Iterable<infer E> ? E[] : never,
) {
  const { nats, streams } = env.infrastructure;
  for (let at = 0; at < history.length; at += 2000) {
    await publishMany(nats.js, streams, history.slice(at, at + 2000));
    await sleep(100);
  }
}

describe('partitioned projections over projector processes', () => {
  const installed = processesOn(partitionedShop);
  const { processes } = installed;

  it('processes share the partitions evenly, a joiner takes its share within seconds, a killed one’s are taken over, and the views equal the model', async () => {
    const { env } = installed;
    processes.printLogsOnFailure();
    const { pool, nats, streams } = env.infrastructure;
    const history = [...demoHistory({ events: 20_000, seed: 24 })];
    // The last 2,000 events are held back until A is killed and taken over, so that B has
    // something to move on with however fast the rest was caught up.
    const heldBack = history.length - 2000;
    const a = processes.start(env, 'A', SETTINGS);
    await waitForShares(pool, [a], [UNITS], 'A alone to own every unit');
    const publishing = publishSlowly(env, history.slice(0, heldBack));
    await eventually(
      async () => (((await livePositions(pool)).orders?.ORDERS ?? 0) >= 500 ? true : undefined),
      60_000,
      'orders to commit its first batches',
    );

    // A joiner gets its share (half) within seconds, without stopping A.
    const b = processes.start(env, 'B', SETTINGS);
    await b.waitForLog((l) => l.msg === 'projectors started', 'its start');
    const joinedAt = Date.now();
    const shared = await waitForShares(pool, [a, b], [UNITS / 2, UNITS / 2], 'A and B to own half each');
    const joinMs = Date.now() - joinedAt;
    console.log(`a joiner took its share (${UNITS / 2} of ${UNITS} units) in ${joinMs} ms`);
    expect(joinMs).toBeLessThan(10_000);
    // orders' partitions spread over both processes, so both catch it up.
    for (const p of [a, b]) expect(shared.get(p)?.some((l) => l.projection === 'orders')).toBe(true);
    expect(a.exited).toBe(false);

    // A dies mid catch-up: B owns everything within the lease timeout.
    const atKill = (await livePositions(pool)).orders?.ORDERS ?? 0;
    expect(await a.stop('SIGKILL')).toBeNull();
    const killedAt = Date.now();
    await waitForShares(pool, [b], [UNITS], 'B to take over every unit');
    const takeoverMs = Date.now() - killedAt;
    console.log(`the units of a killed process were taken over in ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(10_000);

    await publishing;
    await publishMany(nats.js, streams, history.slice(heldBack));
    await waitForLiveViews(env, 8, 120_000);
    expect((await livePositions(pool)).orders?.ORDERS).toBeGreaterThan(atKill);
    await expectViewsToMatchModel(env, history);

    // Each partition has its own checkpoint; the projection's position is their least.
    const { rows } = await pool.query<{ partition: number; position: number }>(
      `SELECT partition, position::int FROM vista_checkpoints c JOIN vista_projections p
          ON p.name = c.projection AND p.generation = c.generation
        WHERE c.projection = 'orders' AND c.stream = 'ORDERS' ORDER BY partition`,
    );
    expect(rows.map((r) => r.partition)).toEqual([0, 1, 2, 3]);
    const heads = await streamHeads(nats.jsm, streams);
    expect(rows.every((r) => r.position === heads.ORDERS)).toBe(true);
  }, 240_000);
});

describe('an owner of partitions frozen mid-batch (SIGSTOP), then resumed (SIGCONT)', () => {
  const installed = processesOn(partitionedShop);
  const { processes } = installed;

  it('loses its partitions to the other process, which advances them; once resumed it overwrites nothing in PostgreSQL or Elasticsearch', async () => {
    const { env } = installed;
    processes.printLogsOnFailure();
    const { pool } = env.infrastructure;
    const history = [...demoHistory({ events: 20_000, seed: 25 })];
    const both = [processes.start(env, 'A', SETTINGS), processes.start(env, 'B', SETTINGS)] as const;
    const shared = await waitForShares(pool, both, [UNITS / 2, UNITS / 2], 'A and B to own half each');
    // The frozen one owns a partition of products (Elasticsearch) and, in this layout, of orders.
    const frozen = both.find((p) =>
      shared.get(p)?.some((l) => l.projection === 'products' && l.partition === 1),
    ) as ProjectorProcess;
    const survivor = both.find((p) => p !== frozen) as ProjectorProcess;
    const frozenUnits = shared.get(frozen) ?? [];
    const publishing = publishSlowly(env, history);
    // Frozen mid catch-up: it has committed real progress and has batches in hand.
    await eventually(
      async () => (((await livePositions(pool)).orders?.ORDERS ?? 0) >= 1000 ? true : undefined),
      60_000,
      'orders to commit its first batches',
    );
    const partitionPosition = async (projection: string, partition: number) => {
      const { rows } = await pool.query<{ total: number }>(
        `SELECT coalesce(sum(c.position), 0)::int AS total FROM vista_checkpoints c
           JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation
          WHERE c.projection = $1 AND c.partition = $2`,
        [projection, partition],
      );
      return rows[0]?.total ?? 0;
    };
    process.kill(frozen.pid, 'SIGSTOP');
    const frozenAt = Date.now();
    const atFreeze = await Promise.all(frozenUnits.map((u) => partitionPosition(u.projection, u.partition)));

    // Its leases run out (it no longer renews them), the survivor counts it out and takes them.
    const taken = await waitForShares(pool, [survivor], [UNITS], 'the survivor to own every unit');
    const takeoverMs = Date.now() - frozenAt;
    console.log(`take-over of a frozen owner's ${frozenUnits.length} units: ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(10_000);
    for (const unit of frozenUnits) {
      const now = taken
        .get(survivor)
        ?.find((l) => l.projection === unit.projection && l.partition === unit.partition);
      expect(now?.epoch, `${unit.projection}#${unit.partition}`).toBeGreaterThan(unit.epoch);
    }
    // The survivor advances what the frozen owner held, while that one still has its batches in hand.
    await eventually(
      async () => {
        const now = await Promise.all(frozenUnits.map((u) => partitionPosition(u.projection, u.partition)));
        return now.some((position, i) => position > (atFreeze[i] ?? 0)) ? true : undefined;
      },
      30_000,
      "the survivor to advance the frozen owner's partitions",
    );
    process.kill(frozen.pid, 'SIGCONT');
    await frozen.waitForLog((l) => l.msg === 'lease lost', 'that it lost its leases', 30_000);
    // Back and alive, it gets its share again (the survivor gives half up).
    await waitForShares(pool, both, [UNITS / 2, UNITS / 2], 'the resumed process to get its share back');

    await publishing;
    await waitForLiveViews(env, 8, 120_000);
    await expectViewsToMatchModel(env, history);
  }, 240_000);
});
