import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockAdjusted } from '../../examples/shop/events/catalog.ts';
import {
  engineDeps,
  fromBeginning,
  type ReaderThread,
  readerThreadFor,
  reconcileGenerations,
  runnerFor,
} from '../../projectors/engine/internal.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { stockView } from '../support/shop/stock-view.ts';

const stock = stockView('stock_gaps');

describe.each([
  ['read on the main thread', false],
  ['read on a reader thread', true],
])('stream gaps, %s', (_, threaded) => {
  let env: TestEnvironment;
  let stop: AbortController;
  let running: Promise<void>[];
  let readerThread: ReaderThread | undefined;

  const adjust = (n: number) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: StockAdjusted,
      data: { productId: 'p1', delta: 1, reason: 'count' },
      id: `adj-${n}`,
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
    });

  const catalog = () => env.infrastructure.streams.streamName('CATALOG');

  /** Keeps only the last `max` messages of CATALOG, as a size limit would. */
  async function trim(max: number) {
    const { jsm } = env.infrastructure.nats;
    const info = await jsm.streams.info(catalog());
    await jsm.streams.update(catalog(), { ...info.config, max_msgs: max });
  }

  async function start() {
    await reconcileGenerations(env.infrastructure.pool, stock, fromBeginning(['CATALOG']));
    const deps = engineDeps(env.config, env.infrastructure, env.log, readerThread);
    const runner = runnerFor(stock, 1, deps);
    const controller = new AbortController();
    const done = runner.run(AbortSignal.any([stop.signal, controller.signal]));
    running.push(done);
    return {
      runner,
      stop: async () => {
        controller.abort();
        await done;
      },
    };
  }

  const status = async () =>
    (
      await env.infrastructure.pool.query<{ status: string; detail: string | null }>(
        `SELECT status, detail FROM vista_projections WHERE name = 'stock_gaps'`,
      )
    ).rows[0];

  beforeEach(async () => {
    stop = new AbortController();
    running = [];
    env = await testEnvironment();
    readerThread = readerThreadFor({ ...env.config, READER_THREAD: threaded }, env.log);
  });

  afterEach(async () => {
    stop.abort();
    await Promise.all(running);
    await readerThread?.close();
    await env.cleanup();
  });

  it('a stream trimmed below the checkpoint halts the projection: "gap at CATALOG seq 1", nothing applied', async () => {
    for (let n = 1; n <= 10; n++) await adjust(n);
    await trim(5);
    const { runner } = await start();
    await eventually(async () => (runner.progress.status === 'halted' ? true : undefined));
    await eventually(async () => ((await status())?.detail ? true : undefined));
    expect(await status()).toEqual({
      status: 'halted',
      detail: 'gap at CATALOG seq 1: the stream now starts at 6',
    });
    expect(runner.progress.positions.CATALOG ?? 0).toBe(0);
  });

  it('events trimmed while the projection was away halt it at the first missing one', async () => {
    for (let n = 1; n <= 10; n++) await adjust(n);
    const first = await start();
    await eventually(async () => (first.runner.progress.positions.CATALOG === 10 ? true : undefined));
    await first.stop();
    for (let n = 11; n <= 20; n++) await adjust(n);
    await trim(5);
    const { runner } = await start();
    await eventually(async () => (runner.progress.status === 'halted' ? true : undefined));
    await eventually(async () => ((await status())?.detail ? true : undefined));
    expect((await status())?.detail).toBe('gap at CATALOG seq 11: the stream now starts at 16');
  });

  it('a message deleted from the middle of the stream halts the projection before it', async () => {
    for (let n = 1; n <= 10; n++) await adjust(n);
    await env.infrastructure.nats.jsm.streams.deleteMessage(catalog(), 6);
    const { runner } = await start();
    await eventually(async () => (runner.progress.status === 'halted' ? true : undefined));
    // The status is recorded after the runner has taken it: wait for the record, not the runner.
    await eventually(async () => ((await status())?.detail ? true : undefined));
    expect((await status())?.detail).toBe('gap at CATALOG seq 6: the stream went on at 7');
    expect(runner.progress.positions.CATALOG ?? 0).toBeLessThanOrEqual(5);
  });
});
