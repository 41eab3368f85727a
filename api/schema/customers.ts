import DataLoader from 'dataloader';
import type { Pool } from '../../shared/clients/postgres.ts';
import type { ApiContext } from '../context.ts';

export const customersTypeDefs = /* GraphQL */ `
  "What the customer_stats view knows of one customer, from ORDERS and PAYMENTS."
  type CustomerStats {
    "The customer id."
    customerId: ID!
    "Orders placed."
    orderCount: Int!
    "Orders cancelled."
    cancelledCount: Int!
    "Captured minus refunded over the customer's orders, in cents (payments before their order included)."
    lifetimeSpendCents: Long!
    "When the customer's first order was placed (ISO-8601)."
    firstOrderAt: String!
    "When the customer's latest order was placed (ISO-8601)."
    lastOrderAt: String!
    "The customer's orders, newest first."
    orders(
      "Only orders in this status."
      status: OrderStatus
      "How many orders, 0 to 100."
      first: Int = 20
      "The endCursor of the previous page."
      after: String
    ): OrderConnection!
  }

  extend type Query {
    "One customer's statistics, or null when no order of theirs has been projected (yet)."
    customer("The customer id." id: ID!): CustomerStats
  }
`;

export interface CustomerStats {
  customerId: string;
  orderCount: number;
  cancelledCount: number;
  lifetimeSpendCents: number;
  firstOrderAt: string;
  lastOrderAt: string;
}

interface Row {
  customer_id: string;
  order_count: number;
  cancelled_count: number;
  lifetime_spend_cents: number;
  first_order_at: Date;
  last_order_at: Date;
}

/** One query per request for all the customers its resolvers ask for. */
export function customerLoader(pool: Pool): DataLoader<string, CustomerStats | null> {
  return new DataLoader(async (ids: readonly string[]) => {
    const { rows } = await pool.query<Row>(
      `SELECT customer_id, order_count, cancelled_count, lifetime_spend_cents, first_order_at, last_order_at
         FROM customer_stats WHERE customer_id = ANY($1::text[])`,
      [ids],
    );
    const byId = new Map(
      rows.map((r) => [
        r.customer_id,
        {
          customerId: r.customer_id,
          orderCount: r.order_count,
          cancelledCount: r.cancelled_count,
          lifetimeSpendCents: r.lifetime_spend_cents,
          firstOrderAt: r.first_order_at.toISOString(),
          lastOrderAt: r.last_order_at.toISOString(),
        },
      ]),
    );
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export const customersResolvers = {
  Query: {
    customer: (_: unknown, args: { id: string }, ctx: ApiContext) => ctx.customers.load(args.id),
  },
};
