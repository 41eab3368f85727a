import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orders } from '../../../../../examples/shop/views/orders.ts';
import { products } from '../../../../../examples/shop/views/products.ts';
import { foldDocuments } from '../../../../support/given-when-then.ts';
import { foldCustomerStats } from '../../../../support/shop/customer-stats-fold.ts';
import { event, type ShopEvent } from '../../../../support/shop/events.ts';

/**
 * Property: for any per-stream histories over a few orders, payments and products, every
 * interleaving of the streams and every cutting into batches gives the same views.
 */
const orderId = fc.constantFrom('o1', 'o2', 'o3');
const productId = fc.constantFrom('p1', 'p2', 'p3');
const time = fc
  .integer({ min: 0, max: 10_000 })
  .map((s) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString());
const line = fc.record({
  productId,
  quantity: fc.integer({ min: 1, max: 5 }),
  unitPriceCents: fc.integer({ min: 0, max: 5000 }),
});

type Spec = { type: ShopEvent['type']; data: Record<string, unknown>; time: string };

const ordersStream = fc.array(
  fc.oneof(
    fc
      .record({
        orderId,
        customerId: fc.constantFrom('c1', 'c2'),
        lines: fc.array(line, { minLength: 1, maxLength: 3 }),
      })
      .map((data) => ({ type: 'orders.order_placed.v1' as const, data })),
    orderId.map((id) => ({
      type: 'orders.order_shipped.v1' as const,
      data: { orderId: id, carrier: 'DHL', trackingNumber: 'T' },
    })),
    orderId.map((id) => ({ type: 'orders.order_cancelled.v1' as const, data: { orderId: id, reason: 'r' } })),
  ),
  { maxLength: 10 },
);
const paymentsStream = fc.array(
  fc
    .record({
      refund: fc.boolean(),
      paymentId: fc.constantFrom('pay1', 'pay2'),
      orderId,
      amountCents: fc.integer({ min: 1, max: 5000 }),
    })
    .map(({ refund, ...data }) => ({
      type: refund ? ('payments.payment_refunded.v1' as const) : ('payments.payment_captured.v1' as const),
      data,
    })),
  { maxLength: 10 },
);
const catalogStream = fc.array(
  fc.oneof(
    productId.map((id) => ({
      type: 'catalog.product_added.v2' as const,
      data: { productId: id, sku: id, name: id, description: '', category: 'c', priceCents: 100, tags: [] },
    })),
    fc
      .record({ productId, delta: fc.integer({ min: -10, max: 10 }), reason: fc.constant('x') })
      .map((data) => ({
        type: 'catalog.stock_adjusted.v1' as const,
        data,
      })),
    fc.record({ productId, priceCents: fc.integer({ min: 0, max: 9999 }) }).map((data) => ({
      type: 'catalog.price_changed.v1' as const,
      data,
    })),
  ),
  { maxLength: 10 },
);

/** Turns a stream's event specs into decoded events with that stream's sequences 1, 2, 3… */
function sequenced(specs: readonly Omit<Spec, 'time'>[], times: readonly string[]): ShopEvent[] {
  return specs.map(
    (s, i) => event(s.type, s.data as never, { sequence: i + 1, time: times[i] ?? times[0] }) as ShopEvent,
  );
}

/** Merges streams by a schedule of picks, then cuts the result into batches at the given sizes. */
function schedule(streams: ShopEvent[][], picks: readonly number[], sizes: readonly number[]): ShopEvent[][] {
  const queues = streams.map((s) => [...s]);
  const merged: ShopEvent[] = [];
  let p = 0;
  while (queues.some((q) => q.length > 0)) {
    const open = queues.filter((q) => q.length > 0);
    const queue = open[(picks[p++ % Math.max(picks.length, 1)] ?? 0) % open.length] as ShopEvent[];
    merged.push(queue.shift() as ShopEvent);
  }
  const batches: ShopEvent[][] = [];
  let at = 0;
  for (let i = 0; at < merged.length; i++) {
    const size = sizes[i % Math.max(sizes.length, 1)] ?? merged.length;
    batches.push(merged.slice(at, at + size));
    at += size;
  }
  return batches;
}

const history = fc.record({
  orders: ordersStream,
  payments: paymentsStream,
  catalog: catalogStream,
  times: fc.array(time, { minLength: 30, maxLength: 30 }),
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
  sizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
});

describe('any interleaving of the streams gives the same view (property)', () => {
  it('orders, customer_stats and products', () => {
    fc.assert(
      fc.property(history, (h) => {
        const streams = [
          sequenced(h.orders, h.times),
          sequenced(h.payments, h.times),
          sequenced(h.catalog, h.times),
        ];
        const canonical = [streams.flat()];
        const shuffled = schedule(streams, h.picks, h.sizes);
        expect(foldDocuments(orders, shuffled)).toEqual(foldDocuments(orders, canonical));
        expect(foldDocuments(products, shuffled)).toEqual(foldDocuments(products, canonical));
        const handledByStats = (batch: ShopEvent[]) =>
          batch.filter((e) => e.stream !== 'CATALOG' && e.type !== 'orders.order_shipped.v1') as never[];
        expect(foldCustomerStats(shuffled.map(handledByStats))).toEqual(
          foldCustomerStats(canonical.map(handledByStats)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
