import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_POSITIONS_HEADER } from '../../api/min-positions.ts';
import { shop } from '../../examples/shop/contract.ts';
import { OrderPlaced, OrderShipped } from '../../examples/shop/events/orders.ts';
import { defineDocumentProjection, postgresTable } from '../../projectors/engine/internal.ts';
import { streamHeads } from '../../shared/clients/jetstream-streams.ts';
import { type OutgoingEvent, publishEvent } from '../../shared/events/publish.ts';
import { startApiWith } from '../support/api.ts';
import { livePositions } from '../support/engine-state.ts';
import { eventually, type TestEnvironment, testEnvironment } from '../support/environment.ts';
import { runProjections } from '../support/running.ts';

/** Shipments only: its source's filter leaves every other ORDERS event out of its checkpoint. */
const shipments = defineDocumentProjection(shop, {
  name: 'shipments',
  version: 1,
  sources: [{ stream: 'ORDERS', filter: 'orders.order_shipped.>' }],
  handles: ['orders.order_shipped.v1'],
  key: (event) => event.data.orderId,
  evolve: (_doc, event) => ({ carrier: event.data.carrier }),
  target: postgresTable<{ carrier: string }>({}),
  api: {
    type: 'Shipment',
    description: 'A shipped order.',
    noun: { one: 'shipment', many: 'shipments' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The order id.' },
      carrier: { kind: 'string', description: 'Who carries it.' },
    },
  },
});

interface Answer {
  shipment: { id: string; carrier: string } | null;
}
interface Consistency {
  met: boolean;
  waitedMs: number;
}

describe('read-your-writes on a view whose source has a filter', () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof startApiWith>>;
  let running: ReturnType<typeof runProjections>;
  const TIMEOUT_MS = 4000;

  const publish = (event: Omit<OutgoingEvent, 'time' | 'source'>) =>
    publishEvent(env.infrastructure.nats.js, env.infrastructure.streams, {
      time: new Date().toISOString(),
      source: '/test',
      ...event,
    });
  const place = (orderId: string) =>
    publish({
      eventType: OrderPlaced,
      id: `place-${orderId}`,
      data: { orderId, customerId: 'c1', lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 5 }] },
    });
  const ship = (orderId: string, carrier = 'post') =>
    publish({
      eventType: OrderShipped,
      id: `ship-${orderId}`,
      data: { orderId, carrier, trackingNumber: `t-${orderId}` },
    });
  /** The lag the API reports for the shipments view's ORDERS source. */
  const reportedLag = async () => {
    const { body } = await api.query<{
      projections: { name: string; positions: { stream: string; lag: number | null }[] }[];
    }>('{ projections { name positions { stream lag } } }');
    return body.data?.projections
      .find((p) => p.name === 'shipments')
      ?.positions.find((p) => p.stream === 'ORDERS')?.lag;
  };
  const askAfter = (orderId: string, sequence: number) =>
    api.query<Answer>(
      `{ shipment(id: "${orderId}") { id carrier } }`,
      {},
      { [MIN_POSITIONS_HEADER]: `ORDERS=${sequence}` },
    );

  beforeAll(async () => {
    env = await testEnvironment({ CONSISTENCY_TIMEOUT_MS: String(TIMEOUT_MS) });
    running = runProjections(env, [shipments]);
    const { nats, streams } = env.infrastructure;
    api = await startApiWith(env, {
      projections: [shipments],
      streamHeads: () => streamHeads(nats.jsm, streams),
    });
  });

  afterAll(async () => {
    await running?.stop();
    await api?.close();
    await env?.cleanup();
  });

  it('is met by a sequence the filter leaves out once the view holds every matching one before it', async () => {
    await place('o1');
    const shipped = await ship('o1', 'rail');
    // The checkpoint stops at the last shipment: the placements after it never move it.
    await eventually(
      async () =>
        (await livePositions(env.infrastructure.pool)).shipments?.ORDERS === shipped.seq ? true : undefined,
      30_000,
      'shipments at the shipment',
    );
    const placed = await place('o2');
    expect(placed.seq).toBeGreaterThan(shipped.seq);
    const { body } = await askAfter('o1', placed.seq);
    const consistency = body.extensions?.consistency as Consistency;
    expect(consistency.met).toBe(true);
    // Not the timeout: before, this wait lasted CONSISTENCY_TIMEOUT_MS and answered unmet.
    expect(consistency.waitedMs).toBeLessThan(TIMEOUT_MS / 2);
    expect(body.data?.shipment).toEqual({ id: 'o1', carrier: 'rail' });
    expect((await livePositions(env.infrastructure.pool)).shipments?.ORDERS).toBe(shipped.seq);
    // Behind the head by a placement it does not read: no lag.
    expect(await reportedLag()).toBe(0);
  });

  it('still waits for a matching event before the required sequence, and answers with it', async () => {
    await place('o3');
    await ship('o3', 'air');
    const after = await place('o4');
    // The shipment of o3 matches and lies before the required sequence: the answer must hold it.
    const { body } = await askAfter('o3', after.seq);
    expect((body.extensions?.consistency as Consistency | undefined)?.met).toBe(true);
    expect(body.data?.shipment).toEqual({ id: 'o3', carrier: 'air' });
  });

  it('is not met while the view is behind a matching event, and says so at the timeout', async () => {
    await running.stop();
    await ship('o5', 'sea');
    const after = await place('o6');
    const { body } = await askAfter('o5', after.seq);
    const consistency = body.extensions?.consistency as Consistency;
    expect(consistency.met).toBe(false);
    expect(consistency.waitedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(body.data?.shipment).toBeNull();
    // A shipment it reads waits: the lag counts the events after its position.
    expect(await reportedLag()).toBeGreaterThanOrEqual(2);
  });
});
