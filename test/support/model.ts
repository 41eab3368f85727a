import type { OutgoingEvent } from '../../shared/events/publish.ts';

/**
 * The demo views computed straight from the published events in plain TypeScript, sharing no
 * code with the projections: what the real views must equal.
 */
export interface ExpectedOrder {
  id: string;
  customerId: string;
  status: 'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED';
  totalCents: number;
  lineCount: number;
  paidCents: number;
  placedAt: string;
  shippedAt: string | null;
  cancelledAt: string | null;
}

export function expectedOrders(events: readonly OutgoingEvent[]): Map<string, ExpectedOrder> {
  const placed = new Map<string, { customerId: string; total: number; lines: number; at: string }>();
  const paid = new Map<string, number>();
  const shipped = new Map<string, string>();
  const cancelled = new Map<string, string>();
  for (const { eventType, data, time } of events) {
    const d = data as { orderId: string; customerId: string; amountCents: number; lines: unknown };
    switch (eventType.type) {
      case 'orders.order_placed.v1': {
        const lines = d.lines as { quantity: number; unitPriceCents: number }[];
        let total = 0;
        for (const line of lines) total += line.quantity * line.unitPriceCents;
        placed.set(d.orderId, { customerId: d.customerId, total, lines: lines.length, at: time });
        break;
      }
      case 'orders.order_shipped.v1':
        if (!shipped.has(d.orderId)) shipped.set(d.orderId, time);
        break;
      case 'orders.order_cancelled.v1':
        if (!cancelled.has(d.orderId)) cancelled.set(d.orderId, time);
        break;
      case 'payments.payment_captured.v1':
        paid.set(d.orderId, (paid.get(d.orderId) ?? 0) + d.amountCents);
        break;
      case 'payments.payment_refunded.v1':
        paid.set(d.orderId, (paid.get(d.orderId) ?? 0) - d.amountCents);
        break;
    }
  }
  const result = new Map<string, ExpectedOrder>();
  for (const [id, order] of placed) {
    const paidCents = paid.get(id) ?? 0;
    const status = cancelled.has(id)
      ? 'CANCELLED'
      : shipped.has(id)
        ? 'SHIPPED'
        : paidCents >= order.total
          ? 'PAID'
          : 'PLACED';
    result.set(id, {
      id,
      customerId: order.customerId,
      status,
      totalCents: order.total,
      lineCount: order.lines,
      paidCents,
      placedAt: order.at,
      shippedAt: shipped.get(id) ?? null,
      cancelledAt: cancelled.get(id) ?? null,
    });
  }
  return result;
}
