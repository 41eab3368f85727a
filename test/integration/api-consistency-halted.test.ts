import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_POSITIONS_HEADER } from '../../api/min-positions.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';

/**
 * A halted projection's checkpoint may claim what its view does not hold (a diverged one is
 * beyond its stream's head), and it moves no more until an operator acts: read-your-writes
 * waiting on it is not met, and says which projection stopped it, at once.
 */
describe('read-your-writes and a halted projection', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApi>>;

  const setOrdersStatus = (status: string) =>
    env.infrastructure.pool.query(
      `UPDATE vista_generations SET status = $1, detail = $2 WHERE projection = 'orders' AND role = 'live'`,
      [
        status,
        status === 'halted'
          ? "diverged: checkpoint 1 is beyond ORDERS's last sequence 0; rebuild the projection"
          : null,
      ],
    );
  const askForFirstOrder = () =>
    api.query<{ orders: { totalCount: number } }>(
      '{ orders(first: 1) { totalCount } }',
      {},
      {
        [MIN_POSITIONS_HEADER]: 'ORDERS=1',
      },
    );

  beforeAll(async () => {
    env = await testEnvironment({ CONSISTENCY_TIMEOUT_MS: '20000' });
    await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      id: 'place-o1',
      time: '2026-01-01T00:00:00.000Z',
      source: '/test',
      data: {
        orderId: 'o1',
        customerId: 'c1',
        lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 500 }],
      },
    });
    // The projectors run until every view holds the event, then stop: nothing rewrites the status.
    const projections = runProjections(env);
    await waitForLiveViews(env, 8);
    await projections.stop();
    api = await startApi(env);
  });

  afterAll(async () => {
    await api?.close();
    await env?.cleanup();
  });

  /** Asks until the API's view of the catalog (re-read at least once a second) says `halted`. */
  async function askUntilHalted(halted: string[]) {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const answer = await askForFirstOrder();
      const consistency = answer.body.extensions?.consistency as { halted?: string[] } | undefined;
      if (JSON.stringify(consistency?.halted) === JSON.stringify(halted) || attempt === 50)
        return { answer, ms: performance.now() - started };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is met: false at once while the projection is halted, naming it, and met again once it runs', async () => {
    const before = await askUntilHalted([]);
    expect(before.answer.body.extensions?.consistency).toMatchObject({ met: true, halted: [] });

    await setOrdersStatus('halted');
    const halted = await askUntilHalted(['orders']);
    expect(halted.answer.body.extensions?.consistency).toMatchObject({
      met: false,
      halted: ['orders'],
      projections: ['orders'],
    });
    expect(halted.ms).toBeLessThan(5000); // answered at once, not after the 20 s timeout
    expect(halted.answer.body.data?.orders.totalCount).toBe(1);

    await setOrdersStatus('running');
    const running = await askUntilHalted([]);
    expect(running.answer.body.extensions?.consistency).toMatchObject({ met: true, halted: [] });
  });
});
