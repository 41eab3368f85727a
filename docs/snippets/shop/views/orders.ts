import { defineDocumentProjection, postgresTable } from '../../../../projectors/engine/index.ts';
import { shop } from '../contract.ts';

// #region orders
/** One order as the view stores it; a payment may come first, so the order's own fields start null. */
export interface OrderDoc {
  customerId: string | null;
  totalCents: number | null;
  paidCents: number;
  status: 'PLACED' | 'PAID' | 'CANCELLED' | null;
  placedAt: string | null;
  cancelledAt: string | null;
}

const EMPTY: OrderDoc = {
  customerId: null,
  totalCents: null,
  paidCents: 0,
  status: null,
  placedAt: null,
  cancelledAt: null,
};

/** CANCELLED beats PAID beats PLACED, whatever came first; null until the order is placed. */
function withStatus(doc: OrderDoc): OrderDoc {
  if (doc.totalCents === null) return { ...doc, status: null };
  if (doc.cancelledAt !== null) return { ...doc, status: 'CANCELLED' };
  return { ...doc, status: doc.paidCents >= doc.totalCents ? 'PAID' : 'PLACED' };
}

export const orders = defineDocumentProjection(shop, {
  name: 'orders', // the public name: PostgreSQL view `orders`, GraphQL `orders` and `order`
  version: 1, // bump to rebuild into a new generation
  sources: [{ stream: 'ORDERS' }, { stream: 'PAYMENTS' }],
  handles: ['orders.order_placed.v1', 'orders.order_cancelled.v1', 'payments.payment_captured.v1'],
  key: (event) => event.data.orderId,
  evolve: (current: OrderDoc | null, event): OrderDoc => {
    const doc = current ?? EMPTY;
    switch (event.type) {
      case 'orders.order_placed.v1': {
        const totalCents = event.data.lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
        return withStatus({ ...doc, customerId: event.data.customerId, totalCents, placedAt: event.time });
      }
      case 'orders.order_cancelled.v1':
        return withStatus({ ...doc, cancelledAt: doc.cancelledAt ?? event.time });
      case 'payments.payment_captured.v1':
        return withStatus({ ...doc, paidCents: doc.paidCents + event.data.amountCents });
    }
  },
  // Each public field below is a column of its kind's type (snake_case): declared once.
  target: postgresTable<OrderDoc>({
    indexes: [['customerId', 'placedAt']],
    visibleWhen: 'placed_at IS NOT NULL', // rows of orders not placed yet are kept, not served
  }),
  api: {
    type: 'Order',
    description: 'An order as the orders view sees it.',
    noun: { one: 'order', many: 'orders' },
    key: ['id'], // a document projection's key is its document id
    fields: {
      id: { kind: 'id', description: 'The order id.' },
      customerId: { kind: 'id', description: 'The customer who placed it.', filterable: true },
      status: {
        kind: {
          enum: 'OrderStatus',
          description: 'Where an order is in its life.',
          values: { PLACED: 'Not paid in full.', PAID: 'Paid in full.', CANCELLED: 'Cancelled; final.' },
        },
        description: 'Current status.',
        filterable: true,
      },
      totalCents: { kind: 'long', description: 'Sum over its lines, in cents.', sortable: true },
      paidCents: { kind: 'long', description: 'Captured so far, in cents.' },
      placedAt: { kind: 'timestamp', description: 'When it was placed.', filterable: true, sortable: true },
      cancelledAt: { kind: 'timestamp', description: 'When it was cancelled, if it was.', nullable: true },
    },
    order: { by: [{ placedAt: 'DESC' }], says: 'newest first' }, // without orderBy
    list: {
      shortcuts: { status: { field: 'status', description: 'Only orders in this status.' } },
    },
    relations: {
      customer: {
        view: 'customers',
        kind: 'one',
        on: { customerId: 'customerId' }, // this view's field → the other view's key
        description: 'Who placed it (null until the customers view has caught up).',
      },
    },
  },
});
// #endregion
