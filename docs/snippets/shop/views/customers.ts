import { defineSqlProjection, type EventsOfType } from '../../../../projectors/engine/index.ts';
import { type ShopContract, shop } from '../contract.ts';

// #region customers
/** What one batch adds to each customer: pure, so it is unit-tested without a database. */
export function planCustomers(events: readonly EventsOfType<ShopContract, 'orders.order_placed.v1'>[]) {
  const customers = new Map<string, { orders: number; first: string; last: string }>();
  for (const { data, time } of events) {
    const seen = customers.get(data.customerId);
    customers.set(data.customerId, {
      orders: (seen?.orders ?? 0) + 1,
      first: seen && seen.first < time ? seen.first : time,
      last: seen && seen.last > time ? seen.last : time,
    });
  }
  return customers;
}

export const customers = defineSqlProjection(shop, {
  name: 'customers',
  version: 1,
  sources: [{ stream: 'ORDERS' }],
  handles: ['orders.order_placed.v1'],
  // One generation's tables; `table('customers')` is its quoted name (customers__g<N>__customers).
  tables: (table) => [
    `CREATE TABLE IF NOT EXISTS ${table('customers')} (
       customer_id text PRIMARY KEY,
       order_count integer NOT NULL,
       first_order_at timestamptz NOT NULL,
       last_order_at timestamptz NOT NULL,
       -- A SQL projection indexes what its readers filter and sort on itself.
       UNIQUE (order_count, customer_id))`,
  ],
  view: (table) =>
    `SELECT customer_id, order_count, first_order_at, last_order_at FROM ${table('customers')}`,
  // Set-based: one statement for the whole batch, in the transaction that moves the checkpoint.
  apply: async (events, sql) => {
    const plan = [...planCustomers(events)];
    await sql.query(
      `INSERT INTO ${sql.table('customers')} AS c (customer_id, order_count, first_order_at, last_order_at)
       SELECT * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::timestamptz[])
       ON CONFLICT (customer_id) DO UPDATE SET
         order_count = c.order_count + EXCLUDED.order_count,
         first_order_at = LEAST(c.first_order_at, EXCLUDED.first_order_at),
         last_order_at = GREATEST(c.last_order_at, EXCLUDED.last_order_at)`,
      [
        plan.map(([id]) => id),
        plan.map(([, c]) => c.orders),
        plan.map(([, c]) => c.first),
        plan.map(([, c]) => c.last),
      ],
    );
  },
  api: {
    type: 'Customer',
    description: 'What the customers view knows of one customer.',
    noun: { one: 'customer', many: 'customers' },
    key: ['customerId'], // columns are the snake_case of the fields (customer_id)
    fields: {
      customerId: { kind: 'id', description: 'The customer id.' },
      orderCount: { kind: 'int', description: 'Orders placed.', filterable: true, sortable: true },
      firstOrderAt: { kind: 'timestamp', description: 'When their first order was placed.' },
      lastOrderAt: { kind: 'timestamp', description: 'When their latest order was placed.' },
    },
    relations: {
      orders: {
        view: 'orders',
        kind: 'many', // a connection, all parents' pages in one query; needs a PostgreSQL view
        on: { customerId: 'customerId' }, // orders declares customerId filterable
        description: 'Their orders, newest first.',
      },
    },
  },
});
// #endregion
