/**
 * The guides' running example: a condensed copy of the demo shop's contract (the demo's own is
 * examples/shop/contract.ts). Regions marked `#region` are shown in docs/*.md, byte for byte.
 */
import { z } from 'zod';
import { defineContract, eventType, upcaster } from '../../../projectors/engine/index.ts';

// #region event-types
const id = z.string().min(1).max(100);
const cents = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const OrderPlaced = eventType({
  type: 'orders.order_placed.v1', // <context>.<event>.v<N>
  stream: 'ORDERS',
  schema: z.object({
    orderId: id,
    customerId: id,
    lines: z
      .array(z.object({ productId: id, quantity: z.number().int().positive(), unitPriceCents: cents }))
      .min(1)
      .max(1000),
  }),
  aggregateId: (data) => data.orderId, // the subject: orders.order_placed.<orderId>
});

export const OrderCancelled = eventType({
  type: 'orders.order_cancelled.v1',
  stream: 'ORDERS',
  schema: z.object({ orderId: id, reason: z.string().min(1).max(500) }),
  aggregateId: (data) => data.orderId,
});

export const PaymentCaptured = eventType({
  type: 'payments.payment_captured.v1',
  stream: 'PAYMENTS',
  schema: z.object({ paymentId: id, orderId: id, amountCents: cents }),
  aggregateId: (data) => data.paymentId,
});
// #endregion

// #region versions
const productFields = {
  productId: id,
  sku: z.string().min(1).max(100),
  name: z.string().min(1).max(500),
  description: z.string().max(10_000),
  category: z.string().min(1).max(100),
  priceCents: cents,
};

/** The first shape of product_added: still on the stream, upcast to v2 before handlers see it. */
export const ProductAddedV1 = eventType({
  type: 'catalog.product_added.v1',
  stream: 'CATALOG',
  schema: z.object(productFields),
  aggregateId: (data) => data.productId,
});

/** v2 adds tags. */
export const ProductAdded = eventType({
  type: 'catalog.product_added.v2',
  stream: 'CATALOG',
  schema: z.object({ ...productFields, tags: z.array(z.string().min(1).max(50)).max(20) }),
  aggregateId: (data) => data.productId,
});
// #endregion

// #region contract
export const shop = defineContract({
  streams: [
    { name: 'CATALOG', subjects: 'catalog.>' },
    // Settings Vista uses when it creates a missing stream (these are the defaults).
    { name: 'ORDERS', subjects: 'orders.>', replicas: 1, maxAgeSeconds: 0, duplicateWindowSeconds: 120 },
    { name: 'PAYMENTS', subjects: 'payments.>' },
  ],
  events: [ProductAdded, OrderPlaced, OrderCancelled, PaymentCaptured],
  legacy: [ProductAddedV1],
  upcasters: [upcaster(ProductAddedV1, ProductAdded, (data) => ({ ...data, tags: [] }))],
});
// #endregion

export type ShopContract = typeof shop;
