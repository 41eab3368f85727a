import {
  PriceChanged,
  ProductAdded,
  ProductAddedV1,
  ProductUpdated,
  StockAdjusted,
} from '../../examples/shop/events/catalog.ts';
import { OrderCancelled, OrderPlaced, OrderShipped } from '../../examples/shop/events/orders.ts';
import { PaymentCaptured, PaymentRefunded } from '../../examples/shop/events/payments.ts';
import type { EventOf, EventType } from './event-type.ts';

/** The event types handlers see: the newest version of each event. */
export const CURRENT_EVENT_TYPES = [
  ProductAdded,
  ProductUpdated,
  PriceChanged,
  StockAdjusted,
  OrderPlaced,
  OrderShipped,
  OrderCancelled,
  PaymentCaptured,
  PaymentRefunded,
] as const;

/** Older versions still found on the streams; upcasters lift them to a current type. */
export const LEGACY_EVENT_TYPES = [ProductAddedV1] as const;

export type DomainEvent = EventOf<(typeof CURRENT_EVENT_TYPES)[number]>;
export type DomainEventType = DomainEvent['type'];
export type EventOfType<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

export const EVENT_TYPES_BY_NAME: ReadonlyMap<string, EventType> = new Map(
  [...CURRENT_EVENT_TYPES, ...LEGACY_EVENT_TYPES].map((t) => [t.type, t as EventType]),
);
