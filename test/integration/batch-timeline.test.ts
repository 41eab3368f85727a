import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { demoHistory } from '../../examples/shop/demo/history.ts';
import {
  BATCH_TIMELINE,
  type BatchTiming,
  MAX_STRETCH,
  type Projection,
} from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { publishMany } from '../../shared/events/publish-many.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';

/**
 * The runner's batch timeline (bench/profile-engine.ts --timeline): every committed batch is
 * reported once, with its own events and each part of its time.
 */
describe('the batch timeline', () => {
  let env: TestEnvironment | undefined;
  let running: ReturnType<typeof runProjections> | undefined;
  const timings: BatchTiming[] = [];
  const listen = (timing: unknown) => timings.push(timing as BatchTiming);

  afterEach(async () => {
    unsubscribe(BATCH_TIMELINE, listen);
    timings.length = 0;
    await running?.stop();
    await env?.cleanup();
    running = undefined;
    env = undefined;
  });

  /**
   * Runs `projection` alone, listening to the timeline, until it has reached `heads` on every
   * stream named there, then stops it: the last batch is reported when the runner sees its
   * commit settle, at the next batch or when the loop stops.
   */
  async function catchUpListening(
    environment: TestEnvironment,
    projection: Projection,
    heads: Partial<Record<string, number>>,
  ): Promise<void> {
    subscribe(BATCH_TIMELINE, listen);
    running = runProjections(environment, [projection]);
    const { host } = running;
    await eventually(
      async () => {
        const positions: Partial<Record<string, number>> = host.runners[0]?.progress.positions ?? {};
        return Object.entries(heads).every(([stream, head]) => (positions[stream] ?? 0) >= (head ?? 0))
          ? true
          : undefined;
      },
      60_000,
      `${projection.name} to catch up`,
    );
    await running.stop();
    running = undefined;
  }

  it('reports each committed batch of a catch-up, its events adding up to the history', async () => {
    env = await testEnvironment({ BATCH_SIZE: '100' });
    const { js, jsm } = env.infrastructure.nats;
    const { streams } = env.infrastructure;
    await publishMany(js, streams, demoHistory({ events: 1500, seed: 7 }));
    const heads = await streamHeads(jsm, streams, ['ORDERS', 'PAYMENTS']);
    const total = (heads.ORDERS ?? 0) + (heads.PAYMENTS ?? 0);
    const orders = env.app.projections.find((p) => p.name === 'orders');
    if (!orders) throw new Error('the shop has no orders projection');
    await catchUpListening(env, orders, heads);

    expect(timings.length).toBeGreaterThan(total / 100);
    expect(timings.reduce((sum, t) => sum + t.events, 0)).toBe(total);
    for (const timing of timings) {
      expect(timing.projection).toBe('orders');
      expect(timing.events).toBeGreaterThan(0);
      expect(timing.events).toBeLessThanOrEqual(100);
      for (const ms of [timing.waitedForBatchMs, timing.prepareMs, timing.waitedForCommitMs]) {
        expect(ms).toBeGreaterThanOrEqual(0);
      }
      // A commit is a round trip to PostgreSQL at least.
      expect(timing.commitMs).toBeGreaterThan(0);
      expect(timing.loopBusyDuringCommit).toBeGreaterThanOrEqual(0);
      expect(timing.loopBusyDuringCommit).toBeLessThanOrEqual(1);
    }
    // With the history queued before the runner started, most batches were full when it asked.
    expect(timings.filter((t) => t.queued >= 100).length).toBeGreaterThan(timings.length / 2);
  });

  it('stretches the batches of a projection that passes over some types: BATCH_SIZE counts the events it handles', async () => {
    env = await testEnvironment({ BATCH_SIZE: '100' });
    const { js, jsm } = env.infrastructure.nats;
    const { streams } = env.infrastructure;
    const history = [...demoHistory({ events: 3000, seed: 8 })];
    await publishMany(js, streams, history);
    const heads = await streamHeads(jsm, streams, ['ORDERS', 'CATALOG']);
    const dailySales = env.app.projections.find((p) => p.name === 'daily_sales');
    if (!dailySales) throw new Error('the shop has no daily_sales projection');
    const handles = new Set<string>(dailySales.handles);
    const read = history.filter((e) => e.eventType.stream === 'ORDERS' || e.eventType.stream === 'CATALOG');
    // A legacy type counts as the type its upcasters end at.
    const { upcastersFrom } = env.app.contract;
    const current = (type: string): string => {
      const upcaster = upcastersFrom.get(type);
      return upcaster ? current(upcaster.to.type) : type;
    };
    const handled = read.filter((e) => handles.has(current(e.eventType.type))).length;
    // The history must give the projection something to pass over, or this proves nothing.
    expect(handled).toBeLessThan(read.length * 0.8);
    await catchUpListening(env, dailySales, heads);

    expect(timings.reduce((sum, t) => sum + t.events, 0)).toBe(read.length);
    expect(timings.reduce((sum, t) => sum + t.used, 0)).toBe(handled);
    // After the first batch (100 messages: nothing was known of the mix), the batches cut by
    // size hold more than 100 messages and about 100 events the projection handles on average.
    // Each batch's own share differs from the recent ones the stretch follows (one stream's
    // readers run ahead of the other's), so one batch may hold 40% more or fewer.
    const stretched = timings.slice(1).filter((t) => t.events > 100);
    expect(stretched.length).toBeGreaterThan(timings.length / 2);
    const meanUsed = stretched.reduce((sum, t) => sum + t.used, 0) / stretched.length;
    expect(meanUsed).toBeGreaterThan(70);
    expect(meanUsed).toBeLessThan(140);
    expect(Math.max(...timings.map((t) => t.events))).toBeLessThanOrEqual(100 * MAX_STRETCH);
  });
});
