import { describe, expect, it } from 'vitest';
import { demoHistory } from '../../../../../examples/shop/demo/history.ts';

describe('demo history', () => {
  const events = [...demoHistory({ events: 5000, seed: 11 })];

  it('has exactly the requested number of events', () => {
    expect(events).toHaveLength(5000);
  });

  it('is the same for the same seed and differs for another', () => {
    const again = [...demoHistory({ events: 5000, seed: 11 })];
    expect(again.map((e) => e.data)).toEqual(events.map((e) => e.data));
    const other = [...demoHistory({ events: 5000, seed: 12 })];
    expect(other.map((e) => e.data)).not.toEqual(events.map((e) => e.data));
  });

  it('only holds events that pass their contract schema, with unique ids', () => {
    for (const event of events) expect(event.eventType.schema.safeParse(event.data).success).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('covers every kind of event, both product_added versions, and payments before their order', () => {
    const types = new Set(events.map((e) => e.eventType.type));
    expect([...types].sort()).toEqual([
      'catalog.price_changed.v1',
      'catalog.product_added.v1',
      'catalog.product_added.v2',
      'catalog.product_updated.v1',
      'catalog.stock_adjusted.v1',
      'orders.order_cancelled.v1',
      'orders.order_placed.v1',
      'orders.order_shipped.v1',
      'payments.payment_captured.v1',
      'payments.payment_refunded.v1',
    ]);
    const placedAt = new Map<string, number>();
    events.forEach((e, i) => {
      if (e.eventType.type === 'orders.order_placed.v1')
        placedAt.set((e.data as { orderId: string }).orderId, i);
    });
    const early = events.filter(
      (e, i) =>
        e.eventType.type === 'payments.payment_captured.v1' &&
        (placedAt.get((e.data as { orderId: string }).orderId) ?? -1) > i,
    );
    expect(early.length).toBeGreaterThan(0);
  });

  it('never refunds more than was captured for an order', () => {
    const balance = new Map<string, number>();
    for (const e of events) {
      const data = e.data as { orderId: string; amountCents: number };
      if (e.eventType.type === 'payments.payment_captured.v1')
        balance.set(data.orderId, (balance.get(data.orderId) ?? 0) + data.amountCents);
      if (e.eventType.type === 'payments.payment_refunded.v1') {
        balance.set(data.orderId, (balance.get(data.orderId) ?? 0) - data.amountCents);
        expect(balance.get(data.orderId)).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
