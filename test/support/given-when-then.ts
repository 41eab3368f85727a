import { expect } from 'vitest';
import type { DocumentProjection } from '../../projectors/engine/define.ts';
import { foldBatch, type Stored } from '../../projectors/engine/fold.ts';
import type { DomainEvent, DomainEventType } from '../../shared/events/contract.ts';

/**
 * Folds events batch by batch exactly as the engine does (documents and lookups carried from
 * one batch to the next) and returns the documents that exist at the end, by key.
 */
export function foldDocuments<Doc extends object, T extends DomainEventType, L>(
  projection: DocumentProjection<Doc, T, L>,
  batches: readonly (readonly DomainEvent[])[],
): Record<string, Doc> {
  // The engine's erased view of the projection; tests only feed it events it handles.
  const erased = projection as unknown as DocumentProjection<Doc, DomainEventType, L>;
  const docs = new Map<string, Stored<Doc>>();
  const lookups = new Map<string, L>();
  for (const batch of batches) {
    const result = foldBatch(erased, batch, { docs, lookups });
    expect(result.failures.map((f) => f.error.message)).toEqual([]);
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
 * checked not to matter.
 *
 * @example
 * spec(orders).given(orderPlaced('o1', 'c1', lines), paymentCaptured('p1', 'o1', 500))
 *   .thenDocuments({ o1: expect.objectContaining({ status: 'PAID' }) });
 */
export function spec<Doc extends object, T extends DomainEventType, L>(
  projection: DocumentProjection<Doc, T, L>,
) {
  return {
    given(...events: DomainEvent[]) {
      return {
        /** The documents after folding, for custom assertions. */
        documents: (): Record<string, Doc> => foldDocuments(projection, [events]),
        thenDocuments(expected: Record<string, unknown>) {
          expect(foldDocuments(projection, [events])).toEqual(expected);
          expect(
            foldDocuments(
              projection,
              events.map((e) => [e]),
            ),
          ).toEqual(expected);
        },
      };
    },
  };
}
