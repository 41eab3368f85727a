import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_POSITIONS_HEADER } from '../../api/freshness.ts';
import { OrderPlaced } from '../../shared/events/orders.ts';
import { PaymentCaptured } from '../../shared/events/payments.ts';
import { publishEvent } from '../../shared/events/publish.ts';
import { type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections, startApi } from '../support/running.ts';

describe('GraphQL API: read-your-writes, live updates, compliance', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApi>>;
  let projections: ReturnType<typeof runProjections>;
  let n = 0;

  const placeOrder = (orderId: string) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: OrderPlaced,
      data: { orderId, customerId: 'c-ryw', lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 500 }] },
      id: `ryw-${orderId}`,
      time: new Date().toISOString(),
      source: '/test',
    });

  beforeAll(async () => {
    env = await testEnvironment({ CONSISTENCY_TIMEOUT_MS: '3000' });
    projections = runProjections(env);
    api = await startApi(env);
    await placeOrder('warm-up');
  });

  afterAll(async () => {
    await projections?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it('a client that passes its publish sequence always sees its own order at once', async () => {
    const waits: number[] = [];
    for (let i = 0; i < 50; i++) {
      const orderId = `ryw-${++n}`;
      const ack = await placeOrder(orderId);
      const { body } = await api.query<{ order: { id: string } | null }>(
        `{ order(id: "${orderId}") { id status } }`,
        {},
        { [MIN_POSITIONS_HEADER]: `${ack.stream.split('_').at(-1)}=${ack.seq}` },
      );
      expect(body.data?.order?.id).toBe(orderId);
      const consistency = body.extensions?.consistency as { met: boolean; waitedMs: number };
      expect(consistency.met).toBe(true);
      waits.push(consistency.waitedMs);
      expect(
        (body.extensions as { positions: { orders: { ORDERS: number } } }).positions.orders.ORDERS,
      ).toBeGreaterThanOrEqual(ack.seq);
    }
    expect(waits).toHaveLength(50);
  });

  it('says so when the positions are not reached within the timeout', async () => {
    const { body } = await api.query(
      '{ orders(first: 1) { edges { cursor } } }',
      {},
      { [MIN_POSITIONS_HEADER]: 'ORDERS=999999999' },
    );
    expect(body.extensions?.consistency).toMatchObject({ met: false, required: { ORDERS: 999999999 } });
    expect(
      (body.extensions as { consistency: { waitedMs: number } }).consistency.waitedMs,
    ).toBeGreaterThanOrEqual(2900);
  });

  it('rejects a malformed positions header with a GraphQL error', async () => {
    const { status, body } = await api.query(
      '{ orders { edges { cursor } } }',
      {},
      { [MIN_POSITIONS_HEADER]: 'ORDERS=lots' },
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/ORDERS=1042/);
  });

  it('pushes orderUpdated over SSE when a payment changes the order', async () => {
    const orderId = `sub-${++n}`;
    await placeOrder(orderId);
    const controller = new AbortController();
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: `subscription { orderUpdated(id: "${orderId}") { id status paidCents } }`,
      }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const seen: { status: string; paidCents: number }[] = [];
    let buffer = '';
    const next = async () => {
      for (;;) {
        const match = /data: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice((match.index ?? 0) + match[0].length);
          const payload = JSON.parse(match[1] as string) as {
            data?: { orderUpdated: { status: string; paidCents: number } | null };
          };
          if (payload.data?.orderUpdated) return payload.data.orderUpdated;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += new TextDecoder().decode(value);
      }
    };
    seen.push(await next());
    await publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      eventType: PaymentCaptured,
      data: { paymentId: `pay-${orderId}`, orderId, amountCents: 500 },
      id: `pay-${orderId}`,
      time: new Date().toISOString(),
      source: '/test',
    });
    seen.push(await next());
    controller.abort();
    expect(seen[0]?.status === 'PLACED' || seen[0]?.status === 'PAID').toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: 'PAID', paidCents: 500 });
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
