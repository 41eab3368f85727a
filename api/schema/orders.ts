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
    "When it was placed (ISO-8601)."
    placedAt: String!
    "When it was shipped (ISO-8601), if it was."
    shippedAt: String
    "When it was cancelled (ISO-8601), if it was."
    cancelledAt: String
  }

  "An order and its cursor."
  type OrderEdge {
    "The order."
    node: Order!
    "Opaque cursor of this edge."
    cursor: String!
  }

  "A page of orders, newest first."
  type OrderConnection {
    "The orders of this page."
    edges: [OrderEdge!]!
    "Pagination state."
    pageInfo: PageInfo!
  }

  type Query {
    "One order by id, or null when the orders view does not show it (yet)."
    order(id: ID!): Order
    "Orders newest first, optionally of one customer and/or in one status."
    orders(customerId: ID, status: OrderStatus, first: Int = 20, after: String): OrderConnection!
  }
`;

interface OrderRow {
  id: string;
  customer_id: string;
  status: string;
  total_cents: number;
  line_count: number;
  paid_cents: number;
  placed_at: Date;
  shipped_at: Date | null;
  cancelled_at: Date | null;
}

const COLUMNS =
  'id, customer_id, status, total_cents, line_count, paid_cents, placed_at, shipped_at, cancelled_at';

export function toOrder(row: OrderRow) {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    totalCents: row.total_cents,
    lineCount: row.line_count,
    paidCents: row.paid_cents,
    placedAt: row.placed_at.toISOString(),
    shippedAt: row.shipped_at?.toISOString() ?? null,
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
  };
}

export type Order = ReturnType<typeof toOrder>;

export async function findOrder(ctx: Pick<ApiContext, 'pool'>, id: string): Promise<Order | null> {
  const { rows } = await ctx.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
  return rows[0] ? toOrder(rows[0]) : null;
}

interface OrdersArgs {
  customerId?: string | null;
  status?: string | null;
  first?: number | null;
  after?: string | null;
}

/** A page of orders, newest first, by keyset on (placed_at, id): stable under concurrent inserts. */
async function findOrders(ctx: ApiContext, args: OrdersArgs) {
  const limit = pageSize(args.first);
  const where: string[] = [];
  const params: unknown[] = [];
  if (args.customerId) {
    params.push(args.customerId);
    where.push(`customer_id = $${params.length}`);
  }
  if (args.status) {
    params.push(args.status);
    where.push(`status = $${params.length}`);
  }
  if (args.after) {
    const [placedAt, id] = decodeCursor(args.after, ['string', 'string']);
    params.push(placedAt, id);
    where.push(`(placed_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(limit + 1);
  const { rows } = await ctx.pool.query<OrderRow>(
    `SELECT ${COLUMNS} FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY placed_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return toConnection(rows.map(toOrder), limit, (order: Order) => encodeCursor([order.placedAt, order.id]));
}

export const ordersResolvers = {
  Query: {
    order: (_: unknown, args: { id: string }, ctx: ApiContext) => findOrder(ctx, args.id),
    orders: (_: unknown, args: OrdersArgs, ctx: ApiContext) => findOrders(ctx, args),
  },
  Order: {
    customer: (order: Order, _: unknown, ctx: ApiContext) => ctx.customers.load(order.customerId),
  },
  CustomerStats: {
    orders: (customer: { customerId: string }, args: OrdersArgs, ctx: ApiContext) =>
      findOrders(ctx, { ...args, customerId: customer.customerId }),
  },
};
