import type { z } from 'zod';
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

/**
 * Declares how `from` payloads become `to` payloads.
 *
 * @example
 * upcaster(ProductAddedV1, ProductAdded, (data) => ({ ...data, tags: [] }))
 */
export function upcaster<From extends EventType, To extends EventType>(
  from: From,
  to: To,
  upcast: (data: z.infer<From['schema']>) => z.infer<To['schema']>,
): Upcaster {
  return { from, to, upcast } as Upcaster;
}

/**
 * Follows `from → to` links until a type no upcaster starts from; throws on a cycle. `byFrom`
 * is the contract's upcasters by the type they start from.
 */
export function upcastChain(
  type: string,
  data: unknown,
  byFrom: ReadonlyMap<string, Upcaster>,
): { type: string; data: unknown } {
  let current = { type, data };
  for (let hops = 0; hops <= byFrom.size; hops++) {
    const next = byFrom.get(current.type);
    if (!next) return current;
    current = { type: next.to.type, data: next.upcast(current.data) };
  }
  throw new Error(`upcaster cycle starting at ${type}`);
}
