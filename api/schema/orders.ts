import DataLoader from 'dataloader';
import type { Pool } from '../../shared/clients/postgres.ts';
import type { ApiContext } from '../context.ts';
import { decodeCursor, encodeCursor, pageSize, toConnection } from './connection.ts';

export const ordersTypeDefs = /* GraphQL */ `
  "Where an order is in its life. CANCELLED beats SHIPPED beats PAID beats PLACED."
  enum OrderStatus {
    "Placed and not yet fully paid."
    PLACED
    "Paid in full (captured minus refunded covers the total)."
    PAID
    "Handed to a carrier."
    SHIPPED
    "Cancelled; final."
    CANCELLED
  }

  "An order as the orders view sees it (eventually consistent with the ORDERS and PAYMENTS streams)."
  type Order {
    "The order id (the aggregate id of its events)."
    id: ID!
    "The customer who placed it."
    customerId: ID!
    "The customer's statistics (null while customer_stats has not caught up with the order)."
    customer: CustomerStats
    "Current status."
    status: OrderStatus!
    "Sum of quantity × unit price over its lines, in cents."
    totalCents: Long!
    "Number of lines."
    lineCount: Int!
    "Captured minus refunded, in cents."
    paidCents: Long!
    "Sum of the payments captured for it, in cents."
    capturedCents: Long!
    "Sum of the payments refunded for it, in cents."
    refundedCents: Long!
    "When it was placed (ISO-8601)."
    placedAt: String!
    "When it was shipped (ISO-8601), if it was."
    shippedAt: String
    "When it was cancelled (ISO-8601), if it was."
    cancelledAt: String
  }

  "An order and its cursor."
  type OrderEdge {
    "The order; null, with a field error at its path, when a value of it cannot be served (such as a Long beyond 2^53 - 1): one row never fails the page."
    node: Order
    "Opaque cursor of this edge; pass it as after to continue after it."
    cursor: String!
  }

  "A page of orders, newest first."
  type OrderConnection {
    "The orders of this page."
    edges: [OrderEdge!]!
    "Pagination state."
    pageInfo: PageInfo!
  }

  "The read models, each as fresh as extensions.positions says."
  type Query {
    "One order by id, or null when the orders view does not show it (yet)."
    order("The order id." id: ID!): Order
    "Orders newest first, optionally of one customer and/or in one status. first is at most 100."
    orders(
      "Only this customer's orders."
      customerId: ID
      "Only orders in this status."
      status: OrderStatus
      "How many orders, 0 to 100."
      first: Int = 20
      "The endCursor of the previous page."
      after: String
    ): OrderConnection!
  }
`;

interface OrderRow {
  id: string;
  customer_id: string;
  status: string;
  total_cents: number;
  line_count: number;
  paid_cents: number;
  captured_cents: number;
  refunded_cents: number;
  placed_at: Date;
  /** placed_at in microseconds since 1970: the cursor key, exact where a JS Date keeps only ms. */
  placed_us: number;
  shipped_at: Date | null;
  cancelled_at: Date | null;
}

const COLUMNS = `o.id, o.customer_id, o.status, o.total_cents, o.line_count, o.paid_cents, o.captured_cents,
  o.refunded_cents, o.placed_at, (extract(epoch FROM o.placed_at) * 1000000)::bigint AS placed_us,
  o.shipped_at, o.cancelled_at`;

/** The keyset condition "after this cursor", in the newest-first order of every order page. */
const AFTER = (us: string, id: string) =>
  `(o.placed_at, o.id) < (timestamptz 'epoch' + ${us}::bigint * interval '1 microsecond', ${id})`;

export function toOrder(row: OrderRow) {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    totalCents: row.total_cents,
    lineCount: row.line_count,
    paidCents: row.paid_cents,
    capturedCents: row.captured_cents,
    refundedCents: row.refunded_cents,
    placedAt: row.placed_at.toISOString(),
    shippedAt: row.shipped_at?.toISOString() ?? null,
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
  };
}

export type Order = ReturnType<typeof toOrder>;

/** Orders by id in one query: every order field of a request, or every orderUpdated subscriber. */
export async function findOrders(pool: Pool, ids: readonly string[]): Promise<Map<string, Order | null>> {
  const { rows } = await pool.query<OrderRow>(
    `SELECT ${COLUMNS} FROM orders o WHERE o.id = ANY($1::text[])`,
    [ids],
  );
  const found = new Map(rows.map((row) => [row.id, toOrder(row)]));
  return new Map(ids.map((id) => [id, found.get(id) ?? null]));
}

export function orderLoader(pool: Pool): DataLoader<string, Order | null> {
  return new DataLoader(async (ids: readonly string[]) => {
    const found = await findOrders(pool, ids);
    return ids.map((id) => found.get(id) ?? null);
  });
}

interface OrdersArgs {
  customerId?: string | null;
  status?: string | null;
  first?: number | null;
  after?: string | null;
}

const cursorOf = (row: OrderRow) => encodeCursor('orders', [row.placed_us, row.id]);

function afterKey(after: string | null | undefined): [number, string] | undefined {
  return after ? (decodeCursor(after, 'orders', ['integer', 'string']) as [number, string]) : undefined;
}

/**
 * A page of orders, newest first, by keyset on (placed_at, id): stable under concurrent inserts,
 * and served by the indexes on (placed_at, id), (customer_id, placed_at, id) and
 * (status, placed_at, id) however deep the page.
 */
async function pageOfOrders(pool: Pool, args: OrdersArgs) {
  const limit = pageSize(args.first);
  const after = afterKey(args.after);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (args.customerId) where.push(`o.customer_id = ${param(args.customerId)}`);
  if (args.status) where.push(`o.status = ${param(args.status)}`);
  if (after) where.push(AFTER(param(after[0]), param(after[1])));
  const { rows } = await pool.query<OrderRow>(
    `SELECT ${COLUMNS} FROM orders o ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY o.placed_at DESC, o.id DESC LIMIT ${param(limit + 1)}`,
    params,
  );
  return toConnection(rows, limit, cursorOf, toOrder);
}

interface CustomerPage {
  readonly customerId: string;
  readonly status: string | null;
  readonly limit: number;
  readonly after: [number, string] | undefined;
}

/**
 * The order pages of many customers in one query (a LATERAL join per requested page), for
 * `CustomerStats.orders` under a list: no query per customer.
 */
export function customerOrdersLoader(pool: Pool) {
  return new DataLoader<CustomerPage, ReturnType<typeof toConnection<OrderRow, Order>>, string>(
    async (pages) => {
      const { rows } = await pool.query<OrderRow & { page: number }>(
        `SELECT p.page::int AS page, ${COLUMNS}
           FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[])
                WITH ORDINALITY AS p(customer_id, status, size, after_us, after_id, page)
           CROSS JOIN LATERAL (
             SELECT * FROM orders o
              WHERE o.customer_id = p.customer_id
                AND (p.status IS NULL OR o.status = p.status)
                AND (p.after_us IS NULL OR ${AFTER('p.after_us', 'p.after_id')})
              ORDER BY o.placed_at DESC, o.id DESC LIMIT p.size + 1) o
          ORDER BY p.page, o.placed_at DESC, o.id DESC`,
        [
          pages.map((p) => p.customerId),
          pages.map((p) => p.status),
          pages.map((p) => p.limit),
          pages.map((p) => p.after?.[0] ?? null),
          pages.map((p) => p.after?.[1] ?? null),
        ],
      );
      const byPage = new Map<number, OrderRow[]>();
      for (const row of rows) {
        const page = byPage.get(row.page);
        if (page) page.push(row);
        else byPage.set(row.page, [row]);
      }
      return pages.map((page, i) => toConnection(byPage.get(i + 1) ?? [], page.limit, cursorOf, toOrder));
    },
    { cacheKeyFn: (page) => JSON.stringify(page) },
  );
}

export const ordersResolvers = {
  Query: {
    order: (_: unknown, args: { id: string }, ctx: ApiContext) => ctx.orders.load(args.id),
    orders: (_: unknown, args: OrdersArgs, ctx: ApiContext) => pageOfOrders(ctx.pool, args),
  },
  Order: {
    customer: (order: Order, _: unknown, ctx: ApiContext) => ctx.customers.load(order.customerId),
  },
  CustomerStats: {
    orders: (customer: { customerId: string }, args: OrdersArgs, ctx: ApiContext) =>
      ctx.customerOrders.load({
        customerId: customer.customerId,
        status: args.status ?? null,
        limit: pageSize(args.first),
        after: afterKey(args.after),
      }),
  },
};
