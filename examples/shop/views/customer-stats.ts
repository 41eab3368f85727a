import { defineSqlProjection, type EventsOfType } from '../../../projectors/engine/index.ts';
import { type ShopContract, shop } from '../contract.ts';

type Handled =
  | 'orders.order_placed.v1'
  | 'orders.order_cancelled.v1'
  | 'payments.payment_captured.v1'
  | 'payments.payment_refunded.v1';

/** What the projection knows of one order: its customer once placed, its payments whenever they came. */
export interface KnownOrder {
  customerId: string | null;
  paidCents: number;
  cancelled: boolean;
}

/** Changes to one customer's row, added to what is stored. */
export interface CustomerDelta {
  orderCount: number;
  cancelledCount: number;
  spendCents: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
}

const earliest = (a: string | null, b: string) => (a === null || b < a ? b : a);
const latest = (a: string | null, b: string) => (a === null || b > a ? b : a);

/**
 * The pure core of `customer_stats`: folds a batch into the orders it touched and the
 * increments of each customer's counters. Payments name orders, not customers, so money paid
 * before its order is held on the order and credited to the customer when the order arrives.
 */
export function planCustomerStats(
  events: readonly EventsOfType<ShopContract, Handled>[],
  known: ReadonlyMap<string, KnownOrder>,
): { orders: Map<string, KnownOrder>; customers: Map<string, CustomerDelta> } {
  const orders = new Map<string, KnownOrder>();
  const customers = new Map<string, CustomerDelta>();
  const order = (id: string) =>
    orders.get(id) ?? known.get(id) ?? { customerId: null, paidCents: 0, cancelled: false };
  const delta = (customerId: string) => {
    let d = customers.get(customerId);
    if (!d) {
      d = { orderCount: 0, cancelledCount: 0, spendCents: 0, firstOrderAt: null, lastOrderAt: null };
      customers.set(customerId, d);
    }
    return d;
  };
  for (const event of events) {
    const current = order(event.data.orderId);
    switch (event.type) {
      case 'orders.order_placed.v1': {
        if (current.customerId !== null) break; // placed once only
        const d = delta(event.data.customerId);
        d.orderCount += 1;
        d.spendCents += current.paidCents;
        d.firstOrderAt = earliest(d.firstOrderAt, event.time);
        d.lastOrderAt = latest(d.lastOrderAt, event.time);
        orders.set(event.data.orderId, { ...current, customerId: event.data.customerId });
        break;
      }
      case 'orders.order_cancelled.v1':
        if (current.cancelled) break;
        if (current.customerId !== null) delta(current.customerId).cancelledCount += 1;
        orders.set(event.data.orderId, { ...current, cancelled: true });
        break;
      case 'payments.payment_captured.v1':
      case 'payments.payment_refunded.v1': {
        const amount =
          event.type === 'payments.payment_captured.v1' ? event.data.amountCents : -event.data.amountCents;
        if (current.customerId !== null) delta(current.customerId).spendCents += amount;
        orders.set(event.data.orderId, { ...current, paidCents: current.paidCents + amount });
        break;
      }
    }
  }
  return { orders, customers };
}

export const customerStats = defineSqlProjection(shop, {
  name: 'customer_stats',
  version: 2,
  sources: [{ stream: 'ORDERS' }, { stream: 'PAYMENTS' }],
  handles: [
    'orders.order_placed.v1',
    'orders.order_cancelled.v1',
    'payments.payment_captured.v1',
    'payments.payment_refunded.v1',
  ],
  tables: (table) => [
    `CREATE TABLE IF NOT EXISTS ${table('customers')} (
       customer_id text PRIMARY KEY,
       order_count integer NOT NULL,
       cancelled_count integer NOT NULL,
       lifetime_spend_cents bigint NOT NULL,
       first_order_at timestamptz,
       last_order_at timestamptz,
       -- Indexes for what readers filter and sort on (api below), the key breaking ties; as
       -- constraints (unique through the key) so that they come with the table.
       UNIQUE (order_count, customer_id),
       UNIQUE (lifetime_spend_cents, customer_id),
       UNIQUE (last_order_at, customer_id))`,
    `CREATE TABLE IF NOT EXISTS ${table('orders')} (
       order_id text PRIMARY KEY,
       customer_id text,
       paid_cents bigint NOT NULL,
       cancelled boolean NOT NULL)`,
  ],
  view: (table) =>
    `SELECT customer_id, order_count, cancelled_count, lifetime_spend_cents, first_order_at, last_order_at
       FROM ${table('customers')}`,
  api: {
    description: 'What the customer_stats view knows of one customer, from ORDERS and PAYMENTS.',
    noun: { one: 'customer', many: 'customers' },
    key: ['customerId'],
    fields: {
      customerId: { kind: 'id', description: 'The customer id.' },
      orderCount: { kind: 'int', description: 'Orders placed.', filterable: true, sortable: true },
      cancelledCount: { kind: 'int', description: 'Orders cancelled.' },
      lifetimeSpendCents: {
        kind: 'long',
        description:
          "Captured minus refunded over the customer's orders, in cents (payments before their order included).",
        filterable: true,
        sortable: true,
      },
      firstOrderAt: {
        kind: 'timestamp',
        description: "When the customer's first order was placed (ISO-8601).",
      },
      lastOrderAt: {
        kind: 'timestamp',
        description: "When the customer's latest order was placed (ISO-8601).",
        filterable: true,
        sortable: true,
      },
    },
    lookup: {
      name: 'customer',
      description: "One customer's statistics, or null when no order of theirs has been projected (yet).",
      args: { id: { field: 'customerId', description: 'The customer id.' } },
    },
    relations: {
      orders: {
        view: 'orders',
        kind: 'many',
        on: { customerId: 'customerId' },
        description: "The customer's orders, newest first.",
        shortcuts: { status: { field: 'status', description: 'Only orders in this status.' } },
      },
    },
  },
  apply: async (events, sql) => {
    const orderIds = [...new Set(events.map((e) => e.data.orderId))];
    const rows = await sql.query<{
      order_id: string;
      customer_id: string | null;
      paid_cents: number;
      cancelled: boolean;
    }>(
      `SELECT order_id, customer_id, paid_cents, cancelled FROM ${sql.table('orders')} WHERE order_id = ANY($1::text[])`,
      [orderIds],
    );
    const known = new Map(
      rows.map((r) => [
        r.order_id,
        { customerId: r.customer_id, paidCents: r.paid_cents, cancelled: r.cancelled },
      ]),
    );
    const plan = planCustomerStats(events, known);
    const orders = [...plan.orders];
    await sql.query(
      `INSERT INTO ${sql.table('orders')} (order_id, customer_id, paid_cents, cancelled)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[])
       ON CONFLICT (order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
         paid_cents = EXCLUDED.paid_cents, cancelled = EXCLUDED.cancelled`,
      [
        orders.map(([id]) => id),
        orders.map(([, o]) => o.customerId),
        orders.map(([, o]) => o.paidCents),
        orders.map(([, o]) => o.cancelled),
      ],
    );
    const customers = [...plan.customers];
    if (customers.length === 0) return;
    // Increments, not values: LEAST/GREATEST skip NULLs, so a delta without orders keeps the dates.
    await sql.query(
      `INSERT INTO ${sql.table('customers')} AS c
         (customer_id, order_count, cancelled_count, lifetime_spend_cents, first_order_at, last_order_at)
       SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])
       ON CONFLICT (customer_id) DO UPDATE SET
         order_count = c.order_count + EXCLUDED.order_count,
         cancelled_count = c.cancelled_count + EXCLUDED.cancelled_count,
         lifetime_spend_cents = c.lifetime_spend_cents + EXCLUDED.lifetime_spend_cents,
         first_order_at = LEAST(c.first_order_at, EXCLUDED.first_order_at),
         last_order_at = GREATEST(c.last_order_at, EXCLUDED.last_order_at)`,
      [
        customers.map(([id]) => id),
        customers.map(([, d]) => d.orderCount),
        customers.map(([, d]) => d.cancelledCount),
        customers.map(([, d]) => d.spendCents),
        customers.map(([, d]) => d.firstOrderAt),
        customers.map(([, d]) => d.lastOrderAt),
      ],
    );
  },
});
