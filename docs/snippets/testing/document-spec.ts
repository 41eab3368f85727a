import { describe, expect, it } from 'vitest';
import { spec } from '../../../projectors/engine/testing/face.ts';
import { OrderPlaced, PaymentCaptured, ProductAddedV1 } from '../shop/contract.ts';
import { orders } from '../shop/views/orders.ts';
import { products } from '../shop/views/products.ts';
import { event } from './events.ts';

// #region document-spec
// The test framework's equality, so that failures show its diff (default: node's deepStrictEqual).
const equal = (actual: unknown, expected: unknown) => expect(actual).toEqual(expected);
const lines = [{ productId: 'p1', quantity: 2, unitPriceCents: 1500 }];

describe('orders view', () => {
  it('a payment before its order is applied when the order arrives', () => {
    spec(orders, equal)
      .given(
        event(PaymentCaptured, { paymentId: 'pay1', orderId: 'o1', amountCents: 3000 }),
        event(OrderPlaced, { orderId: 'o1', customerId: 'c1', lines }),
      )
      .thenDocuments({
        o1: {
          customerId: 'c1',
          totalCents: 3000,
          paidCents: 3000,
          status: 'PAID',
          placedAt: '2026-03-01T12:00:00.000Z',
          cancelledAt: null,
        },
      });
  });
});

describe('products view', () => {
  it('a v1 product_added is upcast: the view sees v2 and its units sold', () => {
    const added = { productId: 'p1', sku: 'S1', name: 'Kettle', description: '', category: 'kitchen' };
    const documents = spec(products, equal)
      .given(
        event(OrderPlaced, { orderId: 'o1', customerId: 'c1', lines }),
        event(ProductAddedV1, { ...added, priceCents: 1500 }),
      )
      .documents();
    expect(documents.p1).toMatchObject({ added: true, name: 'Kettle', unitsSold: 2 });
  });
});
// #endregion
