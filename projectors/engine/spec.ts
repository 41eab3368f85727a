import { deepStrictEqual } from 'node:assert/strict';
import type { AnyEvent } from '../../shared/events/event-type.ts';
import type { DocumentProjection } from './define.ts';
import { foldBatch, type Stored } from './fold.ts';

/** Compares what a spec got with what it expected; throws when they differ. */
export type Equal = (actual: unknown, expected: unknown) => void;

/**
 * Folds events batch by batch exactly as the engine does (documents and lookups carried from
 * one batch to the next) and returns the documents that exist at the end, by key. A handler
 * that throws fails the fold: in the engine that event would be dead-lettered.
 */
export function foldDocuments<Doc extends object, E extends AnyEvent, L>(
  projection: DocumentProjection<Doc, E, L>,
  batches: readonly (readonly AnyEvent[])[],
): Record<string, Doc> {
  // The engine's erased view of the projection; a spec feeds it the events it is given.
  const erased = projection as unknown as DocumentProjection<Doc, AnyEvent, L>;
  const docs = new Map<string, Stored<Doc>>();
  const lookups = new Map<string, L>();
  for (const batch of batches) {
    const result = foldBatch(erased, batch, { docs, lookups });
    if (result.failures.length > 0)
      throw new Error(`events failed to fold: ${result.failures.map((f) => f.error.message).join('; ')}`);
    for (const [key, stored] of result.docs) docs.set(key, stored);
    for (const [key, record] of result.lookups) {
      if (record === null) lookups.delete(key);
      else lookups.set(key, record);
    }
  }
  const documents: Record<string, Doc> = {};
  for (const [key, { doc }] of docs) if (doc !== null) documents[key] = doc;
  return documents;
}

/**
 * A projection spec: given events (folded exactly as the engine folds a batch), then the
 * documents by key. `thenDocuments` also folds one event per batch, so batch boundaries are
 * checked not to matter. `equal` defaults to node's deep strict equality; pass your test
 * framework's (`(a, e) => expect(a).toEqual(e)`) to use its matchers.
 *
 * @example
 * spec(orders).given(orderPlaced('o1', 'c1', lines), paymentCaptured('p1', 'o1', 500))
 *   .thenDocuments({ o1: { ...placed, status: 'PAID' } });
 */
export function spec<Doc extends object, E extends AnyEvent, L>(
  projection: DocumentProjection<Doc, E, L>,
  equal: Equal = deepStrictEqual,
) {
  return {
    given(...events: AnyEvent[]) {
      return {
        /** The documents after folding, for custom assertions. */
        documents: (): Record<string, Doc> => foldDocuments(projection, [events]),
        thenDocuments(expected: Record<string, unknown>): void {
          equal(foldDocuments(projection, [events]), expected);
          equal(
            foldDocuments(
              projection,
              events.map((e) => [e]),
            ),
            expected,
          );
        },
      };
    },
  };
}
