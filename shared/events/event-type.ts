import type { z } from 'zod';
import type { ExtensionValue } from './envelope.ts';
import type { SubjectShape } from './subject-shape.ts';

/**
 * One versioned event type of an application's contract: its stream, payload schema and
 * aggregate. `T` is the CloudEvents `type` (`<context>.<event>.v<N>`), `N` the stream's name.
 */
export interface EventType<
  T extends string = string,
  S extends z.ZodType = z.ZodType,
  N extends string = string,
> {
  readonly type: T;
  readonly stream: N;
  readonly schema: S;
  /** The id in the event's subject, e.g. the orderId of `orders.order_placed.<orderId>`. */
  aggregateId(data: z.infer<S>): string;
  /** How this type's NATS subjects are shaped, when not as its stream's (see StreamDefinition). */
  readonly subjectShape?: SubjectShape;
}

/**
 * Declares an event type; the literal types of `type` and `stream` are kept, so a projection
 * that names an event type the contract lacks does not compile.
 *
 * @example
 * export const OrderPlaced = eventType({ type: 'orders.order_placed.v1', stream: 'ORDERS',
 *   schema: z.object({ orderId: z.string(), customerId: z.string() }),
 *   aggregateId: (data) => data.orderId });
 */
export function eventType<const T extends string, S extends z.ZodType, const N extends string>(
  definition: EventType<T, S, N>,
): EventType<T, S, N> {
  return definition;
}

/** A decoded event as the engine handles it, whatever the application: the envelope and its log position. */
export interface AnyEvent {
  readonly id: string;
  readonly type: string;
  /** The aggregate id: the envelope's `subject`, which must equal it, or the contract's id when it has none. */
  readonly subject: string;
  readonly source: string;
  /** The CloudEvents `time` in UTC (ISO-8601), or the broker's receive time when the event has none. */
  readonly time: string;
  readonly data: unknown;
  readonly stream: string;
  readonly sequence: number;
  /** The CloudEvents `dataschema`, when the event has one. */
  readonly dataschema?: string;
  /** The event's extension attributes by name (`traceparent`, a team's own), when it has any. */
  readonly extensions?: Readonly<Record<string, ExtensionValue>>;
}

/** A decoded event of one event type, as handlers see it: the envelope with typed data. */
export type EventOf<E> =
  E extends EventType<infer T, infer S, infer N>
    ? Omit<AnyEvent, 'type' | 'data' | 'stream'> & {
        readonly type: T;
        readonly data: z.infer<S>;
        readonly stream: N;
      }
    : never;
