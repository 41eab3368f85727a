import { type OutgoingEvent, Random } from '../../../projectors/engine/index.ts';
import { OrderCancelled, OrderPlaced, PaymentCaptured, ProductAdded, ProductAddedV1 } from './contract.ts';

// #region demo
/** A seeded history: the same seed gives the same events, generated lazily. */
export function* history(options: { events: number; seed: number }): Generator<OutgoingEvent> {
  const random = new Random(options.seed);
  let clock = Date.parse('2026-01-01T00:00:00Z');
  let n = 0;
  const event = (eventType: OutgoingEvent['eventType'], data: unknown): OutgoingEvent => {
    clock += random.int(1, 3000);
    return {
      eventType,
      data,
      id: `evt-${options.seed}-${++n}`,
      time: new Date(clock).toISOString(),
      source: '/demo',
    };
  };
  const products: string[] = [];
  while (n < options.events) {
    if (products.length === 0 || random.chance(0.05)) {
      const productId = `p-${n}`;
      products.push(productId);
      const fields = {
        productId,
        sku: `SKU-${n}`,
        name: `Kettle ${n}`,
        description: '',
        category: 'kitchen',
      };
      // Older producers still publish v1: the upcaster lifts it.
      yield random.chance(0.3)
        ? event(ProductAddedV1, { ...fields, priceCents: 1999 })
        : event(ProductAdded, { ...fields, priceCents: 1999, tags: [] });
      continue;
    }
    const orderId = `o-${n}`;
    const quantity = random.int(1, 3);
    const lines = [{ productId: random.pick(products), quantity, unitPriceCents: 1999 }];
    yield event(OrderPlaced, { orderId, customerId: `c-${random.int(1, 50)}`, lines });
    yield random.chance(0.8)
      ? event(PaymentCaptured, { paymentId: `pay-${n}`, orderId, amountCents: quantity * 1999 })
      : event(OrderCancelled, { orderId, reason: 'customer request' });
  }
}
// #endregion
