import type { z } from 'zod';
import type { StreamName } from './streams.ts';

/** One versioned event type of the contract: its stream, payload schema and aggregate. */
export interface EventType<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly stream: StreamName;
  readonly schema: S;
  /** The id in the event's subject, e.g. the orderId of `orders.order_placed.<orderId>`. */
  aggregateId(data: z.infer<S>): string;
}

export function eventType<const T extends string, S extends z.ZodType>(
  definition: EventType<T, S>,
): EventType<T, S> {
  return definition;
}

/** A decoded event as handlers see it: the envelope with typed data and its log position. */
export type EventOf<E> =
  E extends EventType<infer T, infer S>
    ? {
        readonly id: string;
        readonly type: T;
        readonly subject: string;
        readonly source: string;
        readonly time: string;
        readonly data: z.infer<S>;
        readonly stream: StreamName;
        readonly sequence: number;
      }
    : never;
