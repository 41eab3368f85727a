import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { publishEvent, publishMany, streamsFor } from '../../projectors/engine/index.ts';
import { OrderPlaced, shop } from './shop/contract.ts';
import { history } from './shop/history.ts';

/** An upstream service publishing through the contract, then reading its own write. */
export async function checkout(): Promise<void> {
  // #region publish
  const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  const js = jetstream(nc);
  // Stream names and subjects as the installation spells them: VISTA_NAMESPACE is '' in production.
  const streams = streamsFor(shop, '');
  const ack = await publishEvent(js, streams, {
    eventType: OrderPlaced,
    data: {
      orderId: 'o-42',
      customerId: 'c-7',
      lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 1999 }],
    },
    id: randomUUID(), // also the Nats-Msg-Id: a re-publish within the duplicate window is dropped
    time: new Date().toISOString(),
    source: '/checkout',
  });
  // #endregion
  // #region read-your-writes
  const response = await fetch('http://localhost:4000/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      // ack.stream is the stream as JetStream named it (namespace included), ack.seq its sequence.
      'x-vista-min-positions': `${ack.stream}=${ack.seq}`,
    },
    body: JSON.stringify({ query: '{ order(id: "o-42") { status totalCents } }' }),
  });
  const { data, extensions } = await response.json();
  if (!extensions.consistency.met) console.warn('answered before the order was projected', data);
  // #endregion
  // #region publish-many
  const report = await publishMany(js, streams, history({ events: 10_000, seed: 1 }));
  console.log(report.published, report.lastSequence.ORDERS);
  // #endregion
  await nc.close();
}
