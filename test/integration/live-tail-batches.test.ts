import { afterEach, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';

/**
 * At the live tail a partial batch is written as soon as the broker says the projection's
 * sources hold nothing more, not after BATCH_IDLE_MS; BATCH_LINGER_MS holds it anyway.
 */
describe('a partial batch at the live tail', () => {
  let env: TestEnvironment | undefined;
  let running: ReturnType<typeof runProjections> | undefined;

  afterEach(async () => {
    await running?.stop();
    await env?.cleanup();
    running = undefined;
    env = undefined;
  });

  /** Runs `orders` at the tail, publishes one order and says how long until it committed it. */
  async function committedAfterMs(config: Record<string, string>): Promise<number> {
    env = await testEnvironment(config);
    const orders = env.app.projections.find((p) => p.name === 'orders');
    if (!orders) throw new Error('the shop has no orders projection');
    running = runProjections(env, [orders]);
    const { host } = running;
    await eventually(async () => (host.runners[0]?.progress.status === 'running' ? true : undefined));
    const started = performance.now();
    const ack = await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      id: 'place-o1',
      time: new Date().toISOString(),
      source: '/test',
      data: { orderId: 'o1', customerId: 'c1', lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 5 }] },
    });
    await eventually(
      async () => ((host.runners[0]?.progress.positions.ORDERS ?? 0) >= ack.seq ? true : undefined),
      30_000,
      'the order to be committed',
    );
    return performance.now() - started;
  }

  // Ten seconds of idle time that the broker's count makes unnecessary: the commit comes long before.
  it.each(['false', 'true'])(
    'is written once the broker says nothing more is pending (READER_THREAD=%s)',
    async (thread) => {
      const ms = await committedAfterMs({
        BATCH_IDLE_MS: '10000',
        BATCH_MAX_WAIT_MS: '60000',
        READER_THREAD: thread,
      });
      expect(ms).toBeLessThan(5000);
    },
  );

  it('waits BATCH_LINGER_MS after its first event all the same', async () => {
    const ms = await committedAfterMs({
      BATCH_IDLE_MS: '0',
      BATCH_LINGER_MS: '1500',
      BATCH_MAX_WAIT_MS: '1500',
    });
    expect(ms).toBeGreaterThanOrEqual(1500);
  });
});
