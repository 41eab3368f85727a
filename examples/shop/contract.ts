import { defineContract, upcaster } from '../../projectors/engine/index.ts';
import {
  PriceChanged,
  ProductAdded,
  ProductAddedV1,
  ProductUpdated,
  StockAdjusted,
} from './events/catalog.ts';
import { OrderCancelled, OrderPlaced, OrderShipped } from './events/orders.ts';
import { PaymentCaptured, PaymentRefunded } from './events/payments.ts';

/**
 * The demo shop's events: three bounded contexts, each publishing to its own stream. Views of
 * the shop are written against this contract (`defineDocumentProjection(shop, …)`), so a
 * handler for an event type the shop lacks does not compile.
 */
export const shop = defineContract({
  streams: [
    { name: 'CATALOG', subjects: 'catalog.>' },
    { name: 'ORDERS', subjects: 'orders.>' },
    { name: 'PAYMENTS', subjects: 'payments.>' },
  ],
  events: [
    ProductAdded,
    ProductUpdated,
    PriceChanged,
    StockAdjusted,
    OrderPlaced,
    OrderShipped,
    OrderCancelled,
    PaymentCaptured,
    PaymentRefunded,
  ],
  legacy: [ProductAddedV1],
  upcasters: [upcaster(ProductAddedV1, ProductAdded, (data) => ({ ...data, tags: [] }))],
});

export type ShopContract = typeof shop;
