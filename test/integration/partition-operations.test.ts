import { describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import { requestRebuild } from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { leaseHolders } from '../support/engine-state.ts';
import { eventually } from '../support/environment.ts';
import { processesOn } from '../support/projector-process.ts';
import { startApi } from '../support/running.ts';
import partitionedShop, { PARTITIONED_APP } from '../support/shop/partitioned.ts';
import { OTHERWISE_PARTITIONED_APP } from '../support/shop/partitioned-otherwise.ts';
import { expectViewsToMatchModel, waitForLiveViews } from '../support/shop/read-views.ts';

const TOKEN = 'partition-operations-operator-token';
const NAMES = partitionedShop.projections.map((p) => p.name);
const UNITS = partitionedShop.projections.reduce((sum, p) => sum + (p.partitions ?? 1), 0);

describe('operating partitioned projections', () => {
  const installed = processesOn(partitionedShop, { OPERATOR_TOKEN: TOKEN });
  const { processes } = installed;
  const history = [...demoHistory({ events: 6000, seed: 26 })];

  it('a process declaring another partition count for the same version refuses to start (exit 78), naming the conflict', async () => {
    const { env } = installed;
    processes.printLogsOnFailure();
    const { pool } = env.infrastructure;
    processes.start(env, 'A', { VISTA_APP: PARTITIONED_APP });
    await eventually(
      async () => ((await leaseHolders(pool, NAMES)).length === UNITS ? true : undefined),
      30_000,
      'A to own every unit',
    );
    const other = processes.start(env, 'other', { VISTA_APP: OTHERWISE_PARTITIONED_APP });
    const { code } = await other.closed;
    expect(code).toBe(78);
    expect(other.log).toContain(
      'projection orders version 1: generation 1 is built with 4 partition(s), this process declares 8; a changed partition count needs a new version',
    );
    expect(other.lines.filter((l) => l.msg === 'lease acquired')).toEqual([]);
  }, 60_000);

  it('a rebuild builds every partition of the new generation, over both processes, and switches once all have caught up', async () => {
    const { env } = installed;
    processes.printLogsOnFailure();
    const { pool, nats, streams } = env.infrastructure;
    await publishMany(nats.js, streams, history);
    const b = processes.start(env, 'B', { VISTA_APP: PARTITIONED_APP });
    await eventually(
      async () =>
        (await leaseHolders(pool, NAMES)).filter((l) => l.owner.includes(`:${b.pid}:`)).length === UNITS / 2
          ? true
          : undefined,
      30_000,
      'B to get its share',
    );
    await waitForLiveViews(env, 8, 120_000);
    // Both processes own partitions of orders: each builds its own partitions of the new generation.
    const owners = new Set(
      (await leaseHolders(pool, ['orders'])).map((l) => l.owner.split(':').slice(0, 2).join(':')),
    );
    expect(owners.size).toBe(2);
    expect(await requestRebuild(pool, 'orders')).toBe(true);
    const live = await eventually(
      async () => {
        const { rows } = await pool.query<{ generation: number }>(
          `SELECT generation FROM vista_projections WHERE name = 'orders'`,
        );
        return (rows[0]?.generation ?? 0) > 1 ? rows[0]?.generation : undefined;
      },
      120_000,
      'orders to switch to its rebuilt generation',
    );
    // Every partition of the new generation was built, from sequence 1, to the heads.
    const { rows } = await pool.query<{ partition: number; streams: number }>(
      `SELECT partition, count(*)::int AS streams FROM vista_checkpoints
        WHERE projection = 'orders' AND generation = $1 GROUP BY partition ORDER BY partition`,
      [live],
    );
    expect(rows).toEqual([0, 1, 2, 3].map((partition) => ({ partition, streams: 2 })));
    await waitForLiveViews(env, 8, 120_000);
    await expectViewsToMatchModel(env, history);
  }, 240_000);

  it('GraphQL shows each partition: its owner (to operators), status and own positions; a projection is at the least of them', async () => {
    const { env } = installed;
    const { pool, nats, streams } = env.infrastructure;
    const api = await startApi(env);
    try {
      const query = `{ projections { name positions { stream lag } partitions { index owner status positions { stream position lag } } }
                       orders(first: 1) { totalCount } }`;
      type Answer = {
        projections: {
          name: string;
          positions: { stream: string; lag: number | null }[];
          partitions: {
            index: number;
            owner: string | null;
            status: string;
            positions: { stream: string; position: number; lag: number }[];
          }[];
        }[];
      };
      const asOperator = await api.query<Answer>(query, {}, { authorization: `Bearer ${TOKEN}` });
      const orders = asOperator.body.data?.projections.find((p) => p.name === 'orders');
      expect(orders?.partitions.map((p) => p.index)).toEqual([0, 1, 2, 3]);
      const owners = await leaseHolders(pool, ['orders']);
      expect(orders?.partitions.map((p) => p.owner)).toEqual(owners.map((l) => l.owner));
      const heads = await streamHeads(nats.jsm, streams);
      for (const partition of orders?.partitions ?? []) {
        expect(partition.status).toBe('RUNNING');
        // At the heads, with the projection's own lag (null when this API cannot ask NATS).
        expect(partition.positions).toEqual([
          { stream: 'ORDERS', position: heads.ORDERS, lag: orders?.positions[0]?.lag },
          { stream: 'PAYMENTS', position: heads.PAYMENTS, lag: orders?.positions[1]?.lag },
        ]);
      }
      // Anonymous clients see the partitions, not which hosts own them.
      const anonymous = await api.query<Answer>(query);
      const seen = anonymous.body.data?.projections.find((p) => p.name === 'orders');
      expect(seen?.partitions.map((p) => p.owner)).toEqual([null, null, null, null]);
      // What a reader is told it read is the least over the partitions.
      const { rows } = await pool.query<{ stream: string; least: number }>(
        `SELECT c.stream, min(c.position)::int AS least FROM vista_checkpoints c
           JOIN vista_projections p ON p.name = c.projection AND p.generation = c.generation
          WHERE c.projection = 'orders' GROUP BY c.stream`,
      );
      expect(anonymous.body.extensions?.positions).toMatchObject({
        orders: Object.fromEntries(rows.map((r) => [r.stream, r.least])),
      });
    } finally {
      await api.close();
    }
  }, 60_000);
});
