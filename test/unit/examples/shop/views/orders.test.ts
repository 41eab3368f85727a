import { describe, expect, it } from 'vitest';
import { type OrderDoc, orders } from '../../../../../examples/shop/views/orders.ts';
import { spec } from '../../../../support/given-when-then.ts';
import {
  mergesOf,
  orderCancelled,
  orderPlaced,
  orderShipped,
  paymentCaptured,
  paymentRefunded,
  type ShopEvent,
} from '../../../../support/shop/events.ts';

const lines = [
  { productId: 'p1', quantity: 2, unitPriceCents: 1500 },
  { productId: 'p2', quantity: 1, unitPriceCents: 2000 },
];

const placedRow = {
  customerId: 'c1',
  totalCents: 5000,
  lineCount: 2,
  capturedCents: 0,
  refundedCents: 0,
  paidCents: 0,
  status: 'PLACED',
  placedAt: '2026-03-01T12:00:00.000Z',
  shippedAt: null,
  cancelledAt: null,
};

describe('orders view', () => {
  it('a placed order has its total, line count and status PLACED', () => {
    spec(orders)
      .given(orderPlaced('o1', 'c1', lines, '2026-03-01T12:00:00.000Z'))
      .thenDocuments({ o1: placedRow });
  });

  it('an order paid in full is PAID', () => {
    spec(orders)
      .given(orderPlaced('o1', 'c1', lines, '2026-03-01T12:00:00.000Z'), paymentCaptured('pay1', 'o1', 5000))
      .thenDocuments({ o1: { ...placedRow, capturedCents: 5000, paidCents: 5000, status: 'PAID' } });
  });

  it('a payment before its order is applied when the order arrives', () => {
    const early = spec(orders)
      .given(paymentCaptured('pay1', 'o1', 5000))
      .documents();
    expect(early.o1).toMatchObject({ placedAt: null, status: null, capturedCents: 5000 });

    spec(orders)
      .given(paymentCaptured('pay1', 'o1', 5000), orderPlaced('o1', 'c1', lines, '2026-03-01T12:00:00.000Z'))
      .thenDocuments({ o1: { ...placedRow, capturedCents: 5000, paidCents: 5000, status: 'PAID' } });
  });

  it('a refund lowers paidCents and an order no longer fully paid is PLACED again', () => {
    spec(orders)
      .given(
        orderPlaced('o1', 'c1', lines, '2026-03-01T12:00:00.000Z'),
        paymentCaptured('pay1', 'o1', 5000),
        paymentRefunded('pay1', 'o1', 2000),
      )
      .thenDocuments({
        o1: { ...placedRow, capturedCents: 5000, refundedCents: 2000, paidCents: 3000, status: 'PLACED' },
      });
  });

  it('a partial payment leaves the order PLACED', () => {
    const docs = spec(orders)
      .given(orderPlaced('o1', 'c1', lines), paymentCaptured('pay1', 'o1', 4999))
      .documents();
    expect(docs.o1).toMatchObject({ paidCents: 4999, status: 'PLACED' });
  });

  it('SHIPPED beats PAID and CANCELLED beats SHIPPED', () => {
    const shipped = spec(orders)
      .given(
        orderPlaced('o1', 'c1', lines),
        paymentCaptured('pay1', 'o1', 5000),
        orderShipped('o1', '2026-03-02T08:00:00.000Z'),
      )
      .documents();
    expect(shipped.o1).toMatchObject({ status: 'SHIPPED', shippedAt: '2026-03-02T08:00:00.000Z' });

    const cancelled = spec(orders)
      .given(
        orderPlaced('o1', 'c1', lines),
        orderShipped('o1'),
        orderCancelled('o1', '2026-03-03T08:00:00.000Z'),
      )
      .documents();
    expect(cancelled.o1).toMatchObject({ status: 'CANCELLED', cancelledAt: '2026-03-03T08:00:00.000Z' });
  });

  it('gives the same row for every interleaving of the ORDERS and PAYMENTS streams', () => {
    const ordersStream: ShopEvent[] = [orderPlaced('o1', 'c1', lines), orderShipped('o1')];
    const paymentsStream: ShopEvent[] = [
      paymentCaptured('pay1', 'o1', 5000),
      paymentRefunded('pay1', 'o1', 1000),
    ];
    const interleavings = mergesOf(ordersStream, paymentsStream);
    expect(interleavings).toHaveLength(6);
    const results = interleavings.map((events) =>
      spec(orders)
        .given(...events)
        .documents(),
    );
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]?.o1).toMatchObject({ status: 'SHIPPED', paidCents: 4000 });
  });

  it('evolve fills in a new copy and never changes the document it is given', () => {
    // withDerived sets the derived fields on the copy each case makes: a current document
    // frozen here would throw, or differ afterwards, if a case handed it on instead.
    const current: OrderDoc = Object.freeze({
      ...placedRow,
      status: 'PLACED',
      capturedCents: 1000,
      paidCents: 1000,
    } as const);
    const before = structuredClone(current);
    for (const event of [
      orderPlaced('o1', 'c1', lines),
      orderShipped('o1'),
      orderCancelled('o1'),
      paymentCaptured('pay1', 'o1', 4000),
      paymentRefunded('pay1', 'o1', 500),
    ]) {
      const next = orders.evolve(current, event, 'o1', null);
      expect(next).not.toBe(current);
      expect(next?.paidCents).toBe((next?.capturedCents ?? 0) - (next?.refundedCents ?? 0));
    }
    expect(current).toEqual(before);
  });
});
