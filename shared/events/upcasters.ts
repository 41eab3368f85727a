import type { z } from 'zod';
import { ProductAdded, ProductAddedV1 } from '../../examples/shop/events/catalog.ts';
import type { EventType } from './event-type.ts';

/**
 * Turns the payload of one event version into the next. Upcasters run before handlers, so
 * a replay of old history goes through today's code and handlers only know current shapes.
 */
export interface Upcaster<From extends EventType = EventType, To extends EventType = EventType> {
  readonly from: From;
  readonly to: To;
  upcast(data: z.infer<From['schema']>): z.infer<To['schema']>;
}

function upcaster<From extends EventType, To extends EventType>(
  from: From,
  to: To,
  upcast: (data: z.infer<From['schema']>) => z.infer<To['schema']>,
): Upcaster {
  return { from, to, upcast } as Upcaster;
}

export const UPCASTERS: readonly Upcaster[] = [
  upcaster(ProductAddedV1, ProductAdded, (data) => ({ ...data, tags: [] })),
];

/** Follows `from → to` links until a type no upcaster starts from; throws on a cycle. */
export function upcastChain(
  type: string,
  data: unknown,
  upcasters: readonly Upcaster[],
): { type: string; data: unknown } {
  const byFrom = new Map(upcasters.map((u) => [u.from.type, u]));
  let current = { type, data };
  for (let hops = 0; hops <= upcasters.length; hops++) {
    const next = byFrom.get(current.type);
    if (!next) return current;
    current = { type: next.to.type, data: next.upcast(current.data) };
  }
  throw new Error(`upcaster cycle starting at ${type}`);
}
