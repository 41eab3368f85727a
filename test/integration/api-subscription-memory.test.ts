import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { startApiWith } from '../support/api.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';
import { subscribeOverSse } from '../support/sse.ts';

const ROUNDS = 10;
const PER_ROUND = 100;

// A full collection before each reading: what stays is what is held, not garbage not yet
// collected (a process's RSS grows for a while without a leak, until V8 decides to collect).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * 1,000 subscriptions opened and dropped in rounds of 100 leave the API's memory flat
 * (issue 15.10): nothing of a gone subscriber is kept, while every one of them was live.
 */
describe('API memory across subscriptions opened and dropped', () => {
  let env: TestEnvironment;
  let projections: ReturnType<typeof runProjections>;
  let api: Awaited<ReturnType<typeof startApiWith>>;

  beforeAll(async () => {
    env = await testEnvironment();
    projections = runProjections(env);
    for (let i = 0; i < 10; i++) {
      await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
        eventType: OrderPlaced,
        id: `mem-${i}`,
        time: new Date().toISOString(),
        source: '/test',
        data: {
          orderId: `o-${i}`,
          customerId: 'c-1',
          lines: [{ productId: 'p-1', quantity: 1, unitPriceCents: 5 }],
        },
      });
    }
    await waitForLiveViews(env, 8);
    api = await startApiWith(env);
  });

  afterAll(async () => {
    await api?.close();
    await projections?.stop();
    await env?.cleanup();
  });

  it(`stays flat over ${ROUNDS} rounds of ${PER_ROUND} subscriptions`, async () => {
    const heapMb: number[] = [];
    const rssMb: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const subscriptions = await Promise.all(
        Array.from({ length: PER_ROUND }, (_, i) =>
          subscribeOverSse(api.url, `subscription { orderUpdated(id: "o-${i % 10}") { id totalCents } }`),
        ),
      );
      // Each is live: it got its order.
      for (const subscription of subscriptions) {
        const first = await subscription.next<{ orderUpdated: { id: string } | null }>(30_000);
        expect(first.data?.orderUpdated?.id).toMatch(/^o-\d$/);
      }
      for (const subscription of subscriptions) subscription.close();
      // Dropped on the server side too: the API answers a query, and its watcher has only the
      // live feeds' listener left.
      const { body } = await api.query('{ order(id: "o-1") { id } }');
      expect(body.data).toEqual({ order: { id: 'o-1' } });
      gc();
      gc();
      heapMb.push(process.memoryUsage().heapUsed / 2 ** 20);
      rssMb.push(process.memoryUsage().rss / 2 ** 20);
    }
    expect(api.watcher.listenerCount('change')).toBe(1);
    // The first rounds warm up (code compiled, pools and caches filled); after them, no growth.
    const growth = (heapMb.at(-1) as number) - (heapMb[2] as number);
    const figures = `heap after GC per round (MB): ${heapMb.map((m) => m.toFixed(1)).join(' ')}; RSS: ${rssMb.map((m) => m.toFixed(0)).join(' ')}`;
    // A leak of the size once seen (~5 MB per round of 100) would be ~35 MB here.
    expect(growth, figures).toBeLessThan(4);
  });
});
