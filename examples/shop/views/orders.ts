import { defineDocumentProjection, postgresTable } from '../../../projectors/engine/index.ts';
import { shop } from '../contract.ts';

export type OrderStatus = 'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED';

/**
 * One order as the `orders` view stores it. Payments may arrive before their order, so every
 * field the order itself sets is nullable until `order_placed` is seen; the public view hides
 * such rows but they keep what is known.
 */
export interface OrderDoc {
  customerId: string | null;
  totalCents: number | null;
  lineCount: number | null;
  capturedCents: number;
  refundedCents: number;
  paidCents: number;
  status: OrderStatus | null;
  placedAt: string | null;
  shippedAt: string | null;
  cancelledAt: string | null;
}

const EMPTY: OrderDoc = {
  customerId: null,
  totalCents: null,
  lineCount: null,
  capturedCents: 0,
  refundedCents: 0,
  paidCents: 0,
  status: null,
  placedAt: null,
  shippedAt: null,
  cancelledAt: null,
};

/** CANCELLED beats SHIPPED beats PAID beats PLACED; null until the order is placed. */
export function orderStatus(doc: OrderDoc): OrderStatus | null {
  if (doc.placedAt === null || doc.totalCents === null) return null;
  if (doc.cancelledAt !== null) return 'CANCELLED';
  if (doc.shippedAt !== null) return 'SHIPPED';
  if (doc.paidCents >= doc.totalCents) return 'PAID';
  return 'PLACED';
}

/**
 * `next` with its derived fields set. It must be the new copy `evolve` just made, never the
 * current document: filling in the copy costs no second and third spread of the whole order,
 * which were about half of the view's time in the engine's profile (bench/README.md).
 */
function withDerived(next: OrderDoc): OrderDoc {
  next.paidCents = next.capturedCents - next.refundedCents;
  next.status = orderStatus(next);
  return next;
}

export const orders = defineDocumentProjection(shop, {
  name: 'orders',
  version: 1,
  // Its key is the order id, the aggregate id of ORDERS events (not of payments): with
  // partitions, each skips the others' ORDERS messages undecoded.
  sources: [{ stream: 'ORDERS', keyIsAggregateId: true }, { stream: 'PAYMENTS' }],
  handles: [
    'orders.order_placed.v1',
    'orders.order_shipped.v1',
    'orders.order_cancelled.v1',
    'payments.payment_captured.v1',
    'payments.payment_refunded.v1',
  ],
  key: (event) => event.data.orderId,
  evolve: (current: OrderDoc | null, event): OrderDoc => {
    const doc = current ?? EMPTY;
    switch (event.type) {
      case 'orders.order_placed.v1':
        return withDerived({
          ...doc,
          customerId: event.data.customerId,
          totalCents: event.data.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
          lineCount: event.data.lines.length,
          placedAt: doc.placedAt ?? event.time,
        });
      case 'orders.order_shipped.v1':
        return withDerived({ ...doc, shippedAt: doc.shippedAt ?? event.time });
      case 'orders.order_cancelled.v1':
        return withDerived({ ...doc, cancelledAt: doc.cancelledAt ?? event.time });
      case 'payments.payment_captured.v1':
        return withDerived({ ...doc, capturedCents: doc.capturedCents + event.data.amountCents });
      case 'payments.payment_refunded.v1':
        return withDerived({ ...doc, refundedCents: doc.refundedCents + event.data.amountCents });
    }
  },
  // Every stored field is a public one: the table's columns are derived from `api.fields`.
  target: postgresTable<OrderDoc>({
    indexes: [['customerId', 'placedAt'], ['status', 'placedAt'], ['placedAt']],
    visibleWhen: 'placed_at IS NOT NULL',
  }),
  api: {
    type: 'Order',
    description:
      'An order as the orders view sees it (eventually consistent with the ORDERS and PAYMENTS streams).',
    noun: { one: 'order', many: 'orders' },
    key: ['id'],
    fields: {
      id: { kind: 'id', description: 'The order id (the aggregate id of its events).' },
      customerId: { kind: 'id', description: 'The customer who placed it.', filterable: true },
      status: {
        kind: {
          enum: 'OrderStatus',
          description: 'Where an order is in its life. CANCELLED beats SHIPPED beats PAID beats PLACED.',
          values: {
            PLACED: 'Placed and not yet fully paid.',
            PAID: 'Paid in full (captured minus refunded covers the total).',
            SHIPPED: 'Handed to a carrier.',
            CANCELLED: 'Cancelled; final.',
          },
        },
        description: 'Current status.',
        filterable: true,
      },
      totalCents: {
        kind: 'long',
        description: 'Sum of quantity × unit price over its lines, in cents.',
        filterable: true,
        sortable: true,
      },
      lineCount: { kind: 'int', description: 'Number of lines.' },
      paidCents: { kind: 'long', description: 'Captured minus refunded, in cents.' },
      capturedCents: { kind: 'long', description: 'Sum of the payments captured for it, in cents.' },
      refundedCents: { kind: 'long', description: 'Sum of the payments refunded for it, in cents.' },
      placedAt: {
        kind: 'timestamp',
        description: 'When it was placed (ISO-8601).',
        filterable: true,
        sortable: true,
      },
      shippedAt: {
        kind: 'timestamp',
        description: 'When it was shipped (ISO-8601), if it was.',
        nullable: true,
      },
      cancelledAt: {
        kind: 'timestamp',
        description: 'When it was cancelled (ISO-8601), if it was.',
        nullable: true,
      },
    },
    order: { by: [{ placedAt: 'DESC' }], says: 'newest first' },
    list: {
      description:
        'Orders newest first, optionally of one customer and/or in one status. first is at most 100.',
      shortcuts: {
        customerId: { field: 'customerId', description: "Only this customer's orders." },
        status: { field: 'status', description: 'Only orders in this status.' },
      },
    },
    relations: {
      customer: {
        view: 'customer_stats',
        kind: 'one',
        on: { customerId: 'customerId' },
        description:
          "The customer's statistics (null while customer_stats has not caught up with the order).",
      },
    },
  },
});
