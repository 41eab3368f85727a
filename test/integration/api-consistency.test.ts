import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_POSITIONS_HEADER } from '../../api/min-positions.ts';
import { ProductAdded } from '../../examples/shop/events/catalog.ts';
import { OrderPlaced } from '../../examples/shop/events/orders.ts';
import { PaymentCaptured } from '../../examples/shop/events/payments.ts';
import { createDedicatedClient } from '../../shared/clients/postgres.ts';
import { type OutgoingEvent, publishEvent } from '../../shared/events/publish.ts';
import { countingPool, startApiWith } from '../support/api.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';
import { waitForLiveViews } from '../support/shop/read-views.ts';
import { subscribeOverSse } from '../support/sse.ts';

type Positions = Record<string, Record<string, number>>;
interface Consistency {
  required: Record<string, number>;
  projections: string[];
  met: boolean;
  waitedMs: number;
  timeoutMs: number;
}

describe('GraphQL API: read-your-writes, live updates, compliance', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApi>>;
  let projections: ReturnType<typeof runProjections>;
  let n = 0;

  const publish = (event: Omit<OutgoingEvent, 'time' | 'source'>) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      time: new Date().toISOString(),
      source: '/test',
      ...event,
    });
  const placeOrder = (orderId: string, customerId = 'c-ryw') =>
    publish({
      eventType: OrderPlaced,
      id: `place-${orderId}`,
      data: { orderId, customerId, lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 500 }] },
    });
  const pay = (orderId: string, amountCents = 500) =>
    publish({
      eventType: PaymentCaptured,
      id: `pay-${orderId}`,
      data: { paymentId: `pay-${orderId}`, orderId, amountCents },
    });

  beforeAll(async () => {
    env = await testEnvironment({ CONSISTENCY_TIMEOUT_MS: '3000' });
    projections = runProjections(env);
    api = await startApi(env);
    await placeOrder('warm-up', 'c-warm-up');
    await waitForLiveViews(env, 8);
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it('a client that passes its publish acknowledgement always sees its own order, and every view it reads', async () => {
    for (let i = 1; i <= 50; i++) {
      const orderId = `ryw-${++n}`;
      const ack = await placeOrder(orderId);
      // `ack.stream` as JetStream returned it (with the namespace) and `ack.seq`, nothing else.
      const { status, body } = await api.query<{
        order: { id: string; status: string; customer: { orderCount: number } | null } | null;
      }>(
        `{ order(id: "${orderId}") { id status customer { orderCount } } }`,
        {},
        { [MIN_POSITIONS_HEADER]: `${ack.stream}=${ack.seq}` },
      );
      expect(status).toBe(200);
      expect(body.data?.order).toEqual({ id: orderId, status: 'PLACED', customer: { orderCount: i } });
      const consistency = body.extensions?.consistency as Consistency;
      expect(consistency).toMatchObject({
        met: true,
        required: { ORDERS: ack.seq },
        projections: ['customer_stats', 'orders'],
        timeoutMs: 3000,
      });
      const positions = body.extensions?.positions as Positions;
      expect(positions.orders?.ORDERS).toBeGreaterThanOrEqual(ack.seq);
      expect(positions.customer_stats?.ORDERS).toBeGreaterThanOrEqual(ack.seq);
    }
  });

  it('sees its own payment at once, over several streams', async () => {
    const orderId = `ryw-${++n}`;
    const placed = await placeOrder(orderId);
    const paid = await pay(orderId);
    const { body } = await api.query<{ order: { status: string; paidCents: number } }>(
      `{ order(id: "${orderId}") { status paidCents } }`,
      {},
      { [MIN_POSITIONS_HEADER]: JSON.stringify({ ORDERS: placed.seq, PAYMENTS: paid.seq }) },
    );
    expect(body.data?.order).toEqual({ status: 'PAID', paidCents: 500 });
    expect(body.extensions?.consistency).toMatchObject({ met: true });
  });

  it('sees its own product in Elasticsearch at once: a reached position means searchable', async () => {
    for (let i = 0; i < 10; i++) {
      const productId = `ryw-product-${i}`;
      const ack = await publish({
        eventType: ProductAdded,
        id: `add-${productId}`,
        data: {
          productId,
          sku: `RYW-${i}`,
          name: `Marmalade jar ${i}`,
          description: 'Glass',
          category: 'ryw',
          priceCents: 100 + i,
          tags: [],
        },
      });
      const { body } = await api.query<{
        product: { priceCents: number } | null;
        searchProducts: { edges: { node: { id: string } }[] };
      }>(
        `{ product(id: "${productId}") { priceCents }
           searchProducts(query: "marmalade", category: "ryw", first: 100) { edges { node { id } } } }`,
        {},
        { [MIN_POSITIONS_HEADER]: `CATALOG=${ack.seq}` },
      );
      expect(body.data?.product).toEqual({ priceCents: 100 + i });
      expect(body.data?.searchProducts.edges.map((e) => e.node.id)).toContain(productId);
      expect(body.extensions?.consistency).toMatchObject({ met: true, projections: ['products'] });
    }
  });

  it('says so when the positions are not reached within the timeout, and answers anyway', async () => {
    const { status, body } = await api.query<{ orders: unknown }>(
      '{ orders(first: 1) { edges { cursor } } }',
      {},
      { [MIN_POSITIONS_HEADER]: 'ORDERS=999999999' },
    );
    expect(status).toBe(200);
    expect(body.data?.orders).toBeDefined();
    const consistency = body.extensions?.consistency as Consistency;
    expect(consistency).toMatchObject({
      met: false,
      required: { ORDERS: 999999999 },
      projections: ['orders'],
    });
    expect(consistency.waitedMs).toBeGreaterThanOrEqual(2900);
    expect(consistency.waitedMs).toBeLessThan(4500);
  });

  it('rejects a malformed positions header with a 400 and a GraphQL error', async () => {
    for (const header of ['ORDERS=lots', 'SHIPMENTS=3', '{"ORDERS":']) {
      const { status, body } = await api.query(
        '{ orders { edges { cursor } } }',
        {},
        { [MIN_POSITIONS_HEADER]: header },
      );
      expect(status).toBe(400);
      expect(body.errors?.[0]?.message).toMatch(/ORDERS=1042/);
      expect(body.data).toBeUndefined();
    }
  });

  it('keeps waking waiters after its LISTEN connection is killed, and reconnects it', async () => {
    const admin = createDedicatedClient(env.config.DATABASE_URL, 'vista-test');
    await admin.connect();
    const listeners = async () => {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'vista-api-listener'`,
      );
      return rows.map((r) => r.pid);
    };
    try {
      const before = await listeners();
      expect(before).toHaveLength(1);
      await admin.query('SELECT pg_terminate_backend($1)', [before[0]]);
      for (let i = 0; i < 5; i++) {
        const orderId = `after-kill-${i}`;
        const ack = await placeOrder(orderId);
        const { body } = await api.query<{ order: { id: string } | null }>(
          `{ order(id: "${orderId}") { id } }`,
          {},
          { [MIN_POSITIONS_HEADER]: `ORDERS=${ack.seq}` },
        );
        expect(body.data?.order?.id).toBe(orderId);
        expect(body.extensions?.consistency).toMatchObject({ met: true });
      }
      const after = await eventually(async () => {
        const pids = await listeners();
        return pids.length === 1 && pids[0] !== before[0] ? pids : undefined;
      }, 10_000);
      expect(after).toHaveLength(1);
    } finally {
      await admin.end();
    }
  });

  it('pushes orderUpdated over SSE when a payment changes the order, with the positions it was read at', async () => {
    const orderId = `sub-${++n}`;
    await placeOrder(orderId);
    const subscription = await subscribeOverSse(
      api.url,
      `subscription { orderUpdated(id: "${orderId}") { id status paidCents customer { customerId } } }`,
    );
    try {
      expect(subscription.response.headers.get('content-type')).toMatch(/text\/event-stream/);
      type Event = { orderUpdated: { status: string; paidCents: number; customer: unknown } | null };
      let event = await subscription.next<Event>();
      // The order may not be projected yet when the subscription starts: null, then the order.
      while (event.data?.orderUpdated === null) event = await subscription.next<Event>();
      expect(event.data?.orderUpdated).toMatchObject({ status: 'PLACED', paidCents: 0 });
      const paid = await pay(orderId);
      const update = await subscription.next<Event>();
      expect(update.data?.orderUpdated).toMatchObject({
        status: 'PAID',
        paidCents: 500,
        customer: { customerId: 'c-ryw' },
      });
      const positions = update.extensions?.positions as Positions;
      expect(positions.orders?.PAYMENTS).toBeGreaterThanOrEqual(paid.seq);
      expect(Object.keys(positions).sort()).toEqual(['customer_stats', 'orders']);
    } finally {
      subscription.close();
    }
  });

  it('re-reads all subscribed orders in one query per commit, however many subscribers', async () => {
    const counted = countingPool(env.infrastructure.pool);
    const separate = await startApiWith(env, { pool: counted.pool });
    const ids = Array.from({ length: 20 }, (_, i) => `fan-${i}`);
    let last = await placeOrder('fan-warm-up');
    for (const id of ids) last = await placeOrder(id, 'c-fan');
    await separate.query(
      '{ order(id: "fan-warm-up") { id } }',
      {},
      { [MIN_POSITIONS_HEADER]: `ORDERS=${last.seq}` },
    );
    const subscriptions = await Promise.all(
      ids.map((id) =>
        subscribeOverSse(separate.url, `subscription { orderUpdated(id: "${id}") { id paidCents } }`),
      ),
    );
    try {
      for (const s of subscriptions)
        expect(await s.next()).toMatchObject({ data: { orderUpdated: { paidCents: 0 } } });
      const reads = () =>
        counted.statements.filter((sql) => /FROM "orders" v WHERE v."id" = ANY/.test(sql)).length;
      const before = reads();
      await pay('fan-7', 200);
      const update = await (subscriptions[7] as (typeof subscriptions)[number]).next();
      expect(update).toMatchObject({ data: { orderUpdated: { id: 'fan-7', paidCents: 200 } } });
      // One commit (maybe two, if orders and its NOTIFY raced): not one read per subscriber.
      expect(reads() - before).toBeGreaterThanOrEqual(1);
      expect(reads() - before).toBeLessThanOrEqual(3);
      // The other subscribers were not sent their unchanged orders.
      await expect((subscriptions[3] as (typeof subscriptions)[number]).next(300)).rejects.toThrow(
        /no event/,
      );
    } finally {
      for (const s of subscriptions) s.close();
      await separate.close();
    }
  });

  it('pushes projectionStatus when a projection moves', async () => {
    const subscription = await subscribeOverSse(
      api.url,
      'subscription { projectionStatus { name status positions { stream position } } }',
    );
    try {
      type Event = {
        projectionStatus: { name: string; positions: { stream: string; position: number }[] }[];
      };
      const first = await subscription.next<Event>();
      expect(first.data?.projectionStatus.map((p) => p.name)).toEqual([
        'customer_stats',
        'daily_sales',
        'orders',
        'products',
      ]);
      const ack = await placeOrder(`status-${++n}`);
      for (;;) {
        const event = await subscription.next<Event>();
        const orders = event.data?.projectionStatus.find((p) => p.name === 'orders');
        if ((orders?.positions.find((p) => p.stream === 'ORDERS')?.position ?? 0) >= ack.seq) break;
      }
    } finally {
      subscription.close();
    }
  });

  it('counts unresolved dead letters per projection', async () => {
    const { nats, streams } = env.infrastructure;
    const ack = await nats.js.publish(streams.subjectOf('orders.order_placed.v1', 'poison'), '{not json');
    const { body } = await api.query<{ projections: { name: string; deadLetterCount: number }[] }>(
      '{ projections { name deadLetterCount } order(id: "poison") { id } }',
      {},
      { [MIN_POSITIONS_HEADER]: `ORDERS=${ack.seq}` },
    );
    const count = (name: string) => body.data?.projections.find((p) => p.name === name)?.deadLetterCount;
    expect(count('orders')).toBe(1);
  });

  it('passes every MUST audit of the GraphQL-over-HTTP spec (graphql-http)', async () => {
    const audits = serverAudits({ url: `${api.url}/graphql` });
    const failures: string[] = [];
    let must = 0;
    for (const audit of audits) {
      if (!audit.name.startsWith('MUST')) continue;
      must++;
      const result = await audit.fn();
      if (result.status !== 'ok') failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(must).toBeGreaterThan(10);
    expect(failures).toEqual([]);
  });
});
