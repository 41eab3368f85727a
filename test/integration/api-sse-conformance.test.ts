import { type Client, createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { PaymentCaptured } from '../../examples/shop/events/payments.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { startApiWith } from '../support/api.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';

type TestApi = Awaited<ReturnType<typeof startApiWith>>;
type Order = { id: string; paidCents: number } | null;

/** The values of one subscription, as graphql-sse's own client delivers them. */
function subscribe(client: Client, orderId: string) {
  const values: Order[] = [];
  const errors: unknown[] = [];
  const waiters: (() => void)[] = [];
  const dispose = client.subscribe<{ orderUpdated: Order }>(
    { query: `subscription { orderUpdated(id: "${orderId}") { id paidCents } }` },
    {
      next: (result) => {
        if (result.errors) errors.push(result.errors);
        if (result.data) values.push(result.data.orderUpdated);
        for (const wake of waiters.splice(0)) wake();
      },
      error: (error) => {
        errors.push(error);
        for (const wake of waiters.splice(0)) wake();
      },
      complete: () => undefined,
    },
  );
  /** Waits (at most 30 s) until a value matching `match` arrived. */
  const until = async (match: (value: Order) => boolean, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!values.some(match)) {
      if (errors.length > 0) throw new Error(`${what}: ${JSON.stringify(errors)}`);
      if (Date.now() > deadline) throw new Error(`${what}: not within 30 s; got ${JSON.stringify(values)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { values, errors, until, dispose };
}

/**
 * Subscriptions driven by graphql-sse's own client (issue 15.10), in both of its modes and
 * through a dropped connection: the client reconnects and goes on receiving.
 */
describe('GraphQL over SSE with the graphql-sse client', () => {
  let env: TestEnvironment;
  let api: TestApi;
  let projections: ReturnType<typeof runProjections>;
  let payments = 0;

  const placeOrder = (orderId: string) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      id: `sse-${orderId}`,
      time: new Date().toISOString(),
      source: '/test',
      data: { orderId, customerId: 'c-1', lines: [{ productId: 'p-1', quantity: 1, unitPriceCents: 1000 }] },
    });
  const pay = (orderId: string, amountCents: number) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: PaymentCaptured,
      id: `sse-pay-${++payments}`,
      time: new Date().toISOString(),
      source: '/test',
      data: { paymentId: `pay-${payments}`, orderId, amountCents },
    });

  beforeAll(async () => {
    env = await testEnvironment();
    projections = runProjections(env);
    for (const id of ['o-distinct', 'o-yoga', 'o-single', 'o-reconnect']) await placeOrder(id);
    await waitForLiveViews(env, 8);
    api = await startApiWith(env);
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it.each([
    ['distinct connections, /graphql/stream', 'o-distinct', '/graphql/stream', false],
    ['distinct connections, /graphql (yoga itself)', 'o-yoga', '/graphql', false],
    ['a single connection, /graphql/stream', 'o-single', '/graphql/stream', true],
  ] as const)(
    'pushes the order, then its payment, in %s mode',
    async (_, orderId, path, singleConnection) => {
      const client = createClient({ url: `${api.url}${path}`, singleConnection, retryAttempts: 0 });
      const subscription = subscribe(client, orderId);
      try {
        await subscription.until((o) => o?.id === orderId && o.paidCents === 0, 'the order');
        await pay(orderId, 400);
        await subscription.until((o) => o?.paidCents === 400, 'the payment');
        expect(subscription.errors).toEqual([]);
      } finally {
        subscription.dispose();
        client.dispose();
      }
    },
  );

  it.each([false, true])(
    'reconnects after the server drops every connection (single connection: %s)',
    async (singleConnection) => {
      const client = createClient({
        url: `${api.url}/graphql/stream`,
        singleConnection,
        retryAttempts: 10,
        retry: () => new Promise((resolve) => setTimeout(resolve, 200)),
      });
      const subscription = subscribe(client, 'o-reconnect');
      try {
        await subscription.until((o) => o?.id === 'o-reconnect', 'the order');
        const before = subscription.values.length;
        api.server.closeAllConnections();
        // The client reconnects and subscribes again: the current value first, then changes.
        const paid = (subscription.values.at(-1)?.paidCents ?? 0) + 100;
        await subscription.until(() => subscription.values.length > before, 'a value after reconnecting');
        await pay('o-reconnect', 100);
        await subscription.until((o) => o?.paidCents === paid, 'the payment after reconnecting');
        expect(subscription.errors).toEqual([]);
      } finally {
        subscription.dispose();
        client.dispose();
      }
    },
  );
});
