export { shuffleAcrossStreams } from '../history.ts';

import type { OutgoingEvent } from '../../../shared/events/publish.ts';

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

export interface ExpectedCustomer {
  customerId: string;
  orderCount: number;
  cancelledCount: number;
  lifetimeSpendCents: number;
  firstOrderAt: string;
  lastOrderAt: string;
}

export function expectedCustomerStats(events: readonly OutgoingEvent[]): Map<string, ExpectedCustomer> {
  const customerOf = new Map<string, string>();
  const paidByOrder = new Map<string, number>();
  const cancelled = new Set<string>();
  const placedAt = new Map<string, string>();
  for (const { eventType, data, time } of events) {
    const d = data as { orderId: string; customerId: string; amountCents: number };
    if (eventType.type === 'orders.order_placed.v1') {
      customerOf.set(d.orderId, d.customerId);
      placedAt.set(d.orderId, time);
    }
    if (eventType.type === 'orders.order_cancelled.v1') cancelled.add(d.orderId);
    if (eventType.type === 'payments.payment_captured.v1')
      paidByOrder.set(d.orderId, (paidByOrder.get(d.orderId) ?? 0) + d.amountCents);
    if (eventType.type === 'payments.payment_refunded.v1')
      paidByOrder.set(d.orderId, (paidByOrder.get(d.orderId) ?? 0) - d.amountCents);
  }
  const result = new Map<string, ExpectedCustomer>();
  for (const [orderId, customerId] of customerOf) {
    const at = placedAt.get(orderId) as string;
    const c = result.get(customerId) ?? {
      customerId,
      orderCount: 0,
      cancelledCount: 0,
      lifetimeSpendCents: 0,
      firstOrderAt: at,
      lastOrderAt: at,
    };
    c.orderCount += 1;
    if (cancelled.has(orderId)) c.cancelledCount += 1;
    c.lifetimeSpendCents += paidByOrder.get(orderId) ?? 0;
    if (at < c.firstOrderAt) c.firstOrderAt = at;
    if (at > c.lastOrderAt) c.lastOrderAt = at;
    result.set(customerId, c);
  }
  return result;
}

export interface ExpectedProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  tags: string[];
  stock: number;
  unitsSold: number;
}

/** Products as readers see them: only those whose product_added was published. */
export function expectedProducts(events: readonly OutgoingEvent[]): Map<string, ExpectedProduct> {
  const products = new Map<string, Partial<ExpectedProduct> & { added?: boolean }>();
  const linesOf = new Map<string, { productId: string; quantity: number }[]>();
  const get = (id: string) => {
    let p = products.get(id);
    if (!p) {
      p = { id, stock: 0, unitsSold: 0, tags: [] };
      products.set(id, p);
    }
    return p;
  };
  for (const { eventType, data } of events) {
    const d = data as Record<string, unknown> & { productId: string; orderId: string };
    switch (eventType.type) {
      case 'catalog.product_added.v1':
      case 'catalog.product_added.v2':
        Object.assign(get(d.productId), {
          added: true,
          sku: d.sku,
          name: d.name,
          description: d.description,
          category: d.category,
          priceCents: d.priceCents,
          tags: (d.tags as string[] | undefined) ?? [],
        });
        break;
      case 'catalog.product_updated.v1': {
        const p = get(d.productId);
        for (const field of ['name', 'description', 'category'] as const) {
          if (d[field] !== undefined) p[field] = d[field] as string;
        }
        break;
      }
      case 'catalog.price_changed.v1':
        get(d.productId).priceCents = d.priceCents as number;
        break;
      case 'catalog.stock_adjusted.v1':
        get(d.productId).stock = (get(d.productId).stock ?? 0) + (d.delta as number);
        break;
      case 'orders.order_placed.v1': {
        const lines = d.lines as { productId: string; quantity: number }[];
        linesOf.set(d.orderId, lines);
        for (const line of lines) {
          const p = get(line.productId);
          p.stock = (p.stock ?? 0) - line.quantity;
          p.unitsSold = (p.unitsSold ?? 0) + line.quantity;
        }
        break;
      }
      case 'orders.order_cancelled.v1':
        for (const line of linesOf.get(d.orderId) ?? []) {
          const p = get(line.productId);
          p.stock = (p.stock ?? 0) + line.quantity;
          p.unitsSold = (p.unitsSold ?? 0) - line.quantity;
        }
        linesOf.delete(d.orderId);
        break;
    }
  }
  const result = new Map<string, ExpectedProduct>();
  for (const [id, { added, ...p }] of products) if (added) result.set(id, p as ExpectedProduct);
  return result;
}

/** daily_sales: gross units and revenue per UTC day of placement and the product's latest category. */
export function expectedDailySales(
  events: readonly OutgoingEvent[],
): Map<string, { units: number; revenueCents: number }> {
  const category = new Map<string, string>();
  for (const { eventType, data } of events) {
    const d = data as { productId: string; category?: string };
    if (eventType.stream === 'CATALOG' && d.category !== undefined) category.set(d.productId, d.category);
  }
  const result = new Map<string, { units: number; revenueCents: number }>();
  for (const { eventType, data, time } of events) {
    if (eventType.type !== 'orders.order_placed.v1') continue;
    for (const line of (data as { lines: { productId: string; quantity: number; unitPriceCents: number }[] })
      .lines) {
      const key = `${time.slice(0, 10)} ${category.get(line.productId) ?? 'uncategorized'}`;
      const entry = result.get(key) ?? { units: 0, revenueCents: 0 };
      entry.units += line.quantity;
      entry.revenueCents += line.quantity * line.unitPriceCents;
      result.set(key, entry);
    }
  }
  return result;
}
