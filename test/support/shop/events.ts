import type { ShopContract } from '../../../examples/shop/contract.ts';
import { shop } from '../../../examples/shop/contract.ts';
import type {
  EventOfContract,
  EventsOfType,
  EventTypeName,
  StreamOf,
} from '../../../projectors/engine/internal.ts';

type ShopEventType = EventTypeName<ShopContract>;
type EventOfType<T extends ShopEventType> = EventsOfType<ShopContract, T>;
const STREAM_OF = new Map<string, StreamOf<ShopContract>>(shop.events.map((e) => [e.type, e.stream]));
let sequence = 0;
let clock = Date.parse('2026-03-01T10:00:00.000Z');

/** A decoded event as a projection sees it, for pure tests; positions and times count up. */
export function event<T extends ShopEventType>(
  type: T,
  data: EventOfType<T>['data'],
  overrides: { time?: string; sequence?: number } = {},
): EventOfType<T> {
  clock += 1000;
  const stream = STREAM_OF.get(type);
  return {
    id: `evt-${++sequence}`,
    type,
    subject: Object.values(data as Record<string, unknown>)[0] as string,
    source: '/test',
    time: overrides.time ?? new Date(clock).toISOString(),
    data,
    stream,
    sequence: overrides.sequence ?? sequence,
  } as unknown as EventOfType<T>;
}

export const orderPlaced = (
  orderId: string,
  customerId: string,
  lines: { productId: string; quantity: number; unitPriceCents: number }[],
  time?: string,
) => event('orders.order_placed.v1', { orderId, customerId, lines }, time ? { time } : {});
export const orderShipped = (orderId: string, time?: string) =>
  event('orders.order_shipped.v1', { orderId, carrier: 'DHL', trackingNumber: 'TRK1' }, time ? { time } : {});
export const orderCancelled = (orderId: string, time?: string) =>
  event('orders.order_cancelled.v1', { orderId, reason: 'customer request' }, time ? { time } : {});
export const paymentCaptured = (paymentId: string, orderId: string, amountCents: number) =>
  event('payments.payment_captured.v1', { paymentId, orderId, amountCents });
export const paymentRefunded = (paymentId: string, orderId: string, amountCents: number) =>
  event('payments.payment_refunded.v1', { paymentId, orderId, amountCents });

/** Any event of the shop, as its views see it. */
export type ShopEvent = EventOfContract<ShopContract>;

export const productAdded = (productId: string, priceCents = 1000, category = 'kitchen') =>
  event('catalog.product_added.v2', {
    productId,
    sku: `SKU-${productId}`,
    name: `Kettle ${productId}`,
    description: 'A quiet kettle',
    category,
    priceCents,
    tags: [],
  });
export const stockAdjusted = (productId: string, delta: number) =>
  event('catalog.stock_adjusted.v1', { productId, delta, reason: 'restock' });
export const priceChanged = (productId: string, priceCents: number) =>
  event('catalog.price_changed.v1', { productId, priceCents });
export const productUpdated = (
  productId: string,
  fields: { name?: string; description?: string; category?: string },
) => event('catalog.product_updated.v1', { productId, ...fields });

/** Every merge of two sequences that keeps each one's own order. */
export function mergesOf<T>(a: readonly T[], b: readonly T[]): T[][] {
  if (a.length === 0) return [[...b]];
  if (b.length === 0) return [[...a]];
  const [headA, ...restA] = a as [T, ...T[]];
  const [headB, ...restB] = b as [T, ...T[]];
  return [
    ...mergesOf(restA, b).map((rest) => [headA, ...rest]),
    ...mergesOf(a, restB).map((rest) => [headB, ...rest]),
  ];
}
