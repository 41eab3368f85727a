import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import {
  engineDeps,
  fromBeginning,
  listDeadLetters,
  type PoisonPolicy,
  readGenerations,
  reconcileGenerations,
  requestRetry,
  runnerFor,
} from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { stockView } from '../support/shop/stock-view.ts';

/** A view whose handler is "buggy" for one reason until the test deploys the "fix". */
const buggy = (onPoison: PoisonPolicy, bug: { fixed: boolean }) =>
  stockView(`stock_${onPoison}`, { onPoison, failsOn: (reason) => reason === 'recount' && !bug.fixed });

describe('dead letters and their retry', () => {
  let env: TestEnvironment;
  let stop: AbortController;
  let running: Promise<void>[];

  const adjust = (n: number, delta: number, reason = 'restock') =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: StockAdjusted,
      data: { productId: 'p1', delta, reason },
      id: `adj-${n}`,
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });

  async function start(onPoison: PoisonPolicy, bug: { fixed: boolean }) {
    const projection = buggy(onPoison, bug);
    await reconcileGenerations(env.infrastructure.pool, projection, fromBeginning(['CATALOG']));
    const deps = engineDeps(env.config, env.infrastructure, env.log);
    const runner = runnerFor(projection, 1, deps);
    running.push(runner.run(stop.signal));
    return runner;
  }

  /** The stock of p1, or undefined while the view does not exist yet. */
  const stockOf = async (view: string) =>
    (
      await env.infrastructure.pool
        .query(`SELECT stock FROM ${view} WHERE id = 'p1'`)
        .catch(() => ({ rows: [] as { stock?: number }[] }))
    ).rows[0]?.stock;

  beforeEach(async () => {
    stop = new AbortController();
    running = [];
    env = await testEnvironment();
    await adjust(1, 10);
    await adjust(2, 5, 'recount');
    await adjust(3, 1);
  });

  afterEach(async () => {
    stop.abort();
    await Promise.all(running);
    await env.cleanup();
  });

  it('skip: the projection goes on without the poison event, and a retry after the fix replays it in order, once', async () => {
    const bug = { fixed: false };
    const hosted = runProjections(env, [buggy('skip', bug)]);
    try {
      await eventually(async () => ((await stockOf('stock_skip')) === 11 ? true : undefined));
      const [letter] = await listDeadLetters(env.infrastructure.pool, 'stock_skip');
      expect(letter).toMatchObject({
        stream: 'CATALOG',
        sequence: 2,
        errorCode: 'HANDLER_FAILED',
        attempts: 1,
      });
      expect(letter?.error).toBe('recount not supported yet');

      bug.fixed = true;
      expect(await requestRetry(env.infrastructure.pool, 'stock_skip')).toBe(1);
      // A skipping projection has applied later events already: the retry replays the history
      // into a new generation, which takes over once it has caught up.
      await eventually(
        async () => ((await stockOf('stock_skip')) === 16 ? true : undefined),
        30_000,
        'the retry',
      );
      expect((await readGenerations(env.infrastructure.pool, 'stock_skip')).live?.generation).toBe(2);
      expect(await listDeadLetters(env.infrastructure.pool, 'stock_skip')).toEqual([]);
      await adjust(4, 100);
      await eventually(async () => ((await stockOf('stock_skip')) === 116 ? true : undefined));
    } finally {
      await hosted.stop();
    }
  });

  it('halt: the projection stops before the poison event and resumes from it after the fix', async () => {
    const bug = { fixed: false };
    const runner = await start('halt', bug);
    await eventually(async () => (runner.progress.status === 'halted' ? true : undefined));
    expect(runner.progress.positions.CATALOG).toBe(1);
    expect(await stockOf('stock_halt')).toBe(10);
    // The runner records its status after the fact: wait for the record, not only the runner.
    const recorded = await eventually(async () => {
      const { rows } = await env.infrastructure.pool.query<{ status: string; detail: string | null }>(
        `SELECT status, detail FROM vista_projections WHERE name = 'stock_halt'`,
      );
      return rows[0]?.status === 'halted' ? rows[0] : undefined;
    });
    expect(recorded.detail).toMatch(/HANDLER_FAILED at CATALOG #2/);

    bug.fixed = true;
    await requestRetry(env.infrastructure.pool, 'stock_halt');
    await eventually(
      async () => (runner.progress.positions.CATALOG === 3 ? true : undefined),
      15_000,
      'the resume',
    );
    expect(await stockOf('stock_halt')).toBe(16);
    expect(await listDeadLetters(env.infrastructure.pool, 'stock_halt')).toEqual([]);
  });
});
