import { describe, expect, it } from 'vitest';
import type { ShopContract } from '../../../../../examples/shop/contract.ts';
import type { planCustomerStats } from '../../../../../examples/shop/views/customer-stats.ts';
import type { EventsOfType } from '../../../../../projectors/engine/index.ts';
import { foldCustomerStats } from '../../../../support/shop/customer-stats-fold.ts';
import {
  mergesOf,
  orderCancelled,
  orderPlaced,
  paymentCaptured,
  paymentRefunded,
} from '../../../../support/shop/events.ts';

type Handled = Parameters<typeof planCustomerStats>[0][number];
const line = [{ productId: 'p1', quantity: 1, unitPriceCents: 1000 }];

const customers = foldCustomerStats;

const placed = (orderId: string, time: string) =>
  orderPlaced(orderId, 'c1', line, time) as EventsOfType<ShopContract, 'orders.order_placed.v1'>;

describe('customer_stats planning', () => {
  it('counts orders and cancellations and keeps the first and last order time', () => {
    expect(
      customers([
        [
          placed('o1', '2026-01-01T00:00:00.000Z'),
          placed('o2', '2026-01-05T00:00:00.000Z'),
          orderCancelled('o1'),
        ],
      ]),
    ).toEqual({
      c1: {
        orderCount: 2,
        cancelledCount: 1,
        spendCents: 0,
        first: '2026-01-01T00:00:00.000Z',
        last: '2026-01-05T00:00:00.000Z',
      },
    });
  });

  it('credits a payment that arrived before its order once the order arrives, in a later batch', () => {
    const result = customers([
      [paymentCaptured('pay1', 'o1', 700)],
      [placed('o1', '2026-01-01T00:00:00.000Z')],
    ]);
    expect(result.c1?.spendCents).toBe(700);
  });

  it('subtracts refunds from lifetime spend', () => {
    const result = customers([
      [
        placed('o1', '2026-01-01T00:00:00.000Z'),
        paymentCaptured('pay1', 'o1', 1000),
        paymentRefunded('pay1', 'o1', 400),
      ],
    ]);
    expect(result.c1?.spendCents).toBe(600);
  });

  it('ignores a second order_placed and a second cancellation of the same order', () => {
    const result = customers([
      [
        placed('o1', '2026-01-01T00:00:00.000Z'),
        placed('o1', '2026-01-02T00:00:00.000Z'),
        orderCancelled('o1'),
        orderCancelled('o1'),
      ],
    ]);
    expect(result.c1).toMatchObject({ orderCount: 1, cancelledCount: 1 });
  });

  it('gives the same totals for every interleaving of ORDERS and PAYMENTS, in any batching', () => {
    const ordersStream: Handled[] = [placed('o1', '2026-01-01T00:00:00.000Z'), orderCancelled('o1')];
    const paymentsStream: Handled[] = [
      paymentCaptured('pay1', 'o1', 1000),
      paymentRefunded('pay1', 'o1', 250),
    ];
    const expected = {
      c1: {
        orderCount: 1,
        cancelledCount: 1,
        spendCents: 750,
        first: '2026-01-01T00:00:00.000Z',
        last: '2026-01-01T00:00:00.000Z',
      },
    };
    for (const events of mergesOf(ordersStream, paymentsStream)) {
      expect(customers([events])).toEqual(expected);
      expect(customers(events.map((e) => [e]))).toEqual(expected);
    }
  });
});
