import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shop } from '../../examples/shop/contract.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import {
  defineDocumentProjection,
  type OutgoingEvent,
  postgresTable,
  publishMany,
  readStatus,
  requestRebuild,
  type StartPosition,
} from '../../projectors/engine/internal.ts';
import { livePositions } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';

/** `count` order placements, numbered from `first`. */
function placements(first: number, count: number): OutgoingEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    eventType: OrderPlaced,
    id: `start-${first + i}`,
    time: '2026-01-01T00:00:00.000Z',
    source: '/test',
    data: {
      orderId: `o${first + i}`,
      customerId: 'c1',
      lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 1 }],
    },
  }));
}

/** A view of the order placements it has seen, starting where `start` says. */
const seen = (name: string, start?: StartPosition) =>
  defineDocumentProjection(shop, {
    name,
    version: 1,
    sources: [{ stream: 'ORDERS', ...(start ? { start } : {}) }],
    handles: ['orders.order_placed.v1'],
    key: (e) => e.data.orderId,
    evolve: (_doc, e) => ({ sequence: e.sequence }),
    target: postgresTable<{ sequence: number }>({ columns: { sequence: 'bigint' } }),
  });

describe('start positions', () => {
  let env: TestEnvironment;
  let boundary: string;
  beforeAll(async () => {
    env = await testEnvironment();
    const { js } = env.infrastructure.nats;
    // Sequences 1-10, then a time mark, then 11-20: the time start must land on 11.
    await publishMany(js, env.infrastructure.streams, placements(1, 10));
    await new Promise((resolve) => setTimeout(resolve, 20)); // broker timestamps must differ from the mark
    boundary = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await publishMany(js, env.infrastructure.streams, placements(11, 10));
  }, 60_000);
  afterAll(() => env?.cleanup());

  const sequences = async (view: string) =>
    (
      await env.infrastructure.pool.query<{ sequence: number }>(
        `SELECT sequence FROM ${view} ORDER BY sequence`,
      )
    ).rows.map((r) => Number(r.sequence));

  it('starts each kind where it says, shows it, and counts lag from it: a later start sits just before its first event', async () => {
    const views = [
      seen('from_beginning'),
      seen('from_sequence', { from: 'sequence', sequence: 15 }),
      seen('from_time', { from: 'time', time: boundary }),
      seen('only_new', { from: 'new' }),
    ];
    const running = runProjections(env, views);
    try {
      const caughtUp = async () => {
        const positions = await livePositions(env.infrastructure.pool);
        return views.every((v) => positions[v.name]?.ORDERS === 20) ? positions : undefined;
      };
      await eventually(caughtUp, 60_000, 'every view at ORDERS 20');
      expect(await sequences('from_beginning')).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await sequences('from_sequence')).toEqual([15, 16, 17, 18, 19, 20]);
      expect(await sequences('from_time')).toEqual(Array.from({ length: 10 }, (_, i) => i + 11));
      expect(await sequences('only_new')).toEqual([]);

      // `new` was resolved once, when its generation was created: later events are read.
      await publishMany(env.infrastructure.nats.js, env.infrastructure.streams, placements(21, 3));
      await eventually(async () => ((await sequences('only_new')).length === 3 ? true : undefined), 30_000);
      expect(await sequences('only_new')).toEqual([21, 22, 23]);

      const status = await readStatus(
        env.infrastructure.pool,
        env.infrastructure.nats.jsm,
        env.infrastructure.streams,
      );
      const byName = Object.fromEntries(status.map((s) => [s.name, s.streams[0]]));
      expect(byName.from_beginning).toMatchObject({ start: 'beginning', lag: 0 });
      expect(byName.from_sequence).toMatchObject({ start: 'sequence 15', lag: 0 });
      expect(byName.from_time).toMatchObject({ start: `time ${boundary}`, lag: 0 });
      expect(byName.only_new).toMatchObject({ start: 'new events only', position: 23, lag: 0 });
    } finally {
      await running.stop();
    }
  }, 120_000);

  it('a rebuild may start elsewhere than the definition, and its lag counts from there', async () => {
    const view = seen('from_beginning');
    const running = runProjections(env, [view]);
    try {
      expect(
        await requestRebuild(env.infrastructure.pool, view.name, {
          ORDERS: { from: 'sequence', sequence: 21 },
        }),
      ).toBe(true);
      await eventually(
        async () => {
          const rows = await sequences('from_beginning');
          return rows.length === 3 ? rows : undefined;
        },
        60_000,
        'the rebuilt view to take over',
      );
      expect(await sequences('from_beginning')).toEqual([21, 22, 23]);
      const [status] = (
        await readStatus(env.infrastructure.pool, env.infrastructure.nats.jsm, env.infrastructure.streams)
      ).filter((s) => s.name === view.name);
      expect(status?.streams[0]).toMatchObject({ start: 'sequence 21', position: 23, lag: 0 });
    } finally {
      await running.stop();
    }
  }, 120_000);

  it('refuses a start the definition cannot mean', () => {
    expect(() => seen('bad_start', { from: 'sequence', sequence: 0 })).toThrow(
      /start sequence is an integer from 1/,
    );
    expect(() => seen('bad_time', { from: 'time', time: 'yesterday' })).toThrow(/ISO-8601/);
  });
});
