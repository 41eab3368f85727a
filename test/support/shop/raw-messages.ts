import { shop } from '../../../examples/shop/contract.ts';
import type { RawMessage } from '../../../projectors/engine/internal.ts';
import { streamsFor } from '../../../shared/events/streams.ts';

/** The demo's streams without a namespace, as the raw messages below name them. */
export const shopStreams = streamsFor(shop, '');

/** An order_placed of `orderId` as the reader hands it on, at `sequence` of ORDERS. */
export function rawPlaced(orderId: string, sequence: number): RawMessage {
  const envelope = {
    specversion: '1.0',
    id: `e-${orderId}`,
    source: '/test',
    type: 'orders.order_placed.v1',
    subject: orderId,
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: { orderId, customerId: 'c1', lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 100 }] },
  };
  return {
    stream: 'ORDERS',
    sequence,
    subject: shopStreams.subjectOf('orders.order_placed.v1', orderId),
    payload: new TextEncoder().encode(JSON.stringify(envelope)),
    pending: 0,
    receivedAt: 0,
  };
}
