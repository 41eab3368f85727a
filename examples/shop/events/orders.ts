import { z } from 'zod';
import { eventType } from '../../../projectors/engine/index.ts';

const id = z.string().min(1).max(100);

export const OrderLineSchema = z.object({
  productId: id,
  quantity: z.number().int().positive().max(1_000_000),
  unitPriceCents: z.number().int().nonnegative().max(100_000_000_00),
});

export const OrderPlaced = eventType({
  type: 'orders.order_placed.v1',
  stream: 'ORDERS',
  schema: z.object({ orderId: id, customerId: id, lines: z.array(OrderLineSchema).min(1).max(1000) }),
  aggregateId: (data) => data.orderId,
});

export const OrderShipped = eventType({
  type: 'orders.order_shipped.v1',
  stream: 'ORDERS',
  schema: z.object({
    orderId: id,
    carrier: z.string().min(1).max(100),
    trackingNumber: z.string().min(1).max(100),
  }),
  aggregateId: (data) => data.orderId,
});

export const OrderCancelled = eventType({
  type: 'orders.order_cancelled.v1',
  stream: 'ORDERS',
  schema: z.object({ orderId: id, reason: z.string().min(1).max(500) }),
  aggregateId: (data) => data.orderId,
});
