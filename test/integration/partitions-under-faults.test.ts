import { describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import type { Pool } from '../../shared/clients/postgres.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { leaseHolders } from '../support/engine-state.ts';
import { eventually } from '../support/environment.ts';
import { scaled } from '../support/fault-scale.ts';
import { type ProjectorProcess, processesOn } from '../support/projector-process.ts';
import { expectedCustomerStats, expectedOrders, expectedProducts } from '../support/shop/model.ts';
import faultsApp, { FAULTS_APP } from '../support/shop/partitioned-faults.ts';
import { readCustomerStats, readOrders, readProducts } from '../support/shop/read-views.ts';

const NAMES = faultsApp.projections.map((p) => p.name);
const SETTINGS = { VISTA_APP: FAULTS_APP, BATCH_SIZE: '200' };
const KILLS = scaled(10, 20);

/** Events the live generations of every projection have applied so far, summed over partitions and streams. */
async function progress(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ done: number }>(
    `SELECT coalesce(sum(c.position), 0)::bigint AS done FROM vista_checkpoints c
       JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation`,
  );
  return Number(rows[0]?.done ?? 0);
}

/** A reproducible choice (the test's faults must be replayable from its seed). */
function chooser(seed: number) {
  let state = seed >>> 0;
  return <T>(list: readonly T[]): T => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return list[Math.floor((state / 2 ** 32) * list.length)] as T;
  };
}

describe('partitioned projections under repeated faults', () => {
  const installed = processesOn(faultsApp);
  const { processes } = installed;

  it(`three processes, ${KILLS} SIGKILLs during catch-up, a fourth joining, one frozen past its TTL: every view equals the model, no event applied twice`, async () => {
    const { env } = installed;
    processes.printLogsOnFailure();
    const { pool, nats, streams } = env.infrastructure;
    const history = [...demoHistory({ events: scaled(30_000, 100_000), seed: 66 })];
    await publishMany(nats.js, streams, history);
    const heads = await streamHeads(nats.jsm, streams);
    const total = faultsApp.projections.reduce(
      (sum, p) =>
        sum + p.sources.reduce((s, source) => s + (heads[source.stream] ?? 0), 0) * (p.partitions ?? 1),
      0,
    );
    const pick = chooser(24);
    let started = 0;
    const start = () => processes.start(env, `P${++started}`, SETTINGS);
    const running: ProjectorProcess[] = [start(), start(), start()];
    const step = Math.floor(total / (2 * KILLS + 4));
    let last = 0;
    // Faults are timed by observed progress: each lands after the views moved on since the last.
    const advanced = async (what: string) => {
      const now = await eventually(
        async () => {
          const done = await progress(pool);
          return done >= last + step ? done : undefined;
        },
        120_000,
        what,
      );
      last = now;
    };
    for (let kill = 1; kill <= KILLS; kill++) {
      await advanced(`progress before kill ${kill}`);
      if (kill === Math.ceil(KILLS / 2)) running.push(start());
      if (kill === Math.ceil((2 * KILLS) / 3)) {
        // Frozen for longer than its leases live: the others take its units; then it resumes.
        const frozen = pick(running);
        process.kill(frozen.pid, 'SIGSTOP');
        await eventually(
          async () =>
            (await leaseHolders(pool, NAMES)).some((l) => l.owner.includes(`:${frozen.pid}:`))
              ? undefined
              : true,
          30_000,
          'the frozen process to lose its leases',
        );
        await advanced('progress while one process is frozen');
        process.kill(frozen.pid, 'SIGCONT');
      }
      const victim = pick(running);
      expect(await victim.stop('SIGKILL')).toBeNull();
      running.splice(running.indexOf(victim), 1, start());
    }
    console.log(
      `${KILLS} kills, ${started} processes started, progress at the last kill ${last} of ${total}`,
    );
    expect(last).toBeLessThan(total);

    // Every partition of every projection reaches the heads.
    await eventually(
      async () => ((await progress(pool)) >= total ? true : undefined),
      300_000,
      'every partition to reach the stream heads',
    );
    expect(await readOrders(pool)).toEqual(Object.fromEntries(expectedOrders(history)));
    expect(await readCustomerStats(pool)).toEqual(Object.fromEntries(expectedCustomerStats(history)));
    expect(await readProducts(env.infrastructure.es, env.config.VISTA_NAMESPACE)).toEqual(
      Object.fromEntries(expectedProducts(history)),
    );
    // Every event of ORDERS and PAYMENTS applied once, and only once.
    const { rows } = await pool.query<{ applied: number; distinct: number; twice: number }>(
      `SELECT count(*)::int AS applied, count(DISTINCT (stream, sequence))::int AS distinct,
              (SELECT count(*)::int FROM (SELECT 1 FROM applications GROUP BY stream, sequence HAVING count(*) > 1) d) AS twice
         FROM applications`,
    );
    expect(rows[0]).toEqual({
      applied: (heads.ORDERS ?? 0) + (heads.PAYMENTS ?? 0),
      distinct: (heads.ORDERS ?? 0) + (heads.PAYMENTS ?? 0),
      twice: 0,
    });
  }, 600_000);
});
