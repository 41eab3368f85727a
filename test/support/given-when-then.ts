import { expect } from 'vitest';
import type { DocumentProjection } from '../../projectors/engine/define.ts';
import { foldBatch } from '../../projectors/engine/fold.ts';
import type { DomainEvent } from '../../shared/events/contract.ts';

/**
 * A projection spec: given events (folded exactly as the engine folds a batch), then the
 * documents by key. `batches` splits the events to check that batch boundaries don't matter.
 *
 * @example
 * spec(orders).given(orderPlaced('o1', 'c1', lines), paymentCaptured('p1', 'o1', 500))
 *   .thenDocuments({ o1: expect.objectContaining({ status: 'PAID' }) });
 */
export function spec<Doc extends object>(projection: DocumentProjection<Doc>) {
  return {
    given(...events: DomainEvent[]) {
      const fold = (batches: DomainEvent[][]) => {
        let state = new Map<string, Doc>();
        for (const batch of batches) {
          const { docs, failures } = foldBatch(projection, batch, state);
          expect(failures.map((f) => f.error.message)).toEqual([]);
          state = new Map(state);
          for (const [key, doc] of docs) {
            if (doc === null) state.delete(key);
            else state.set(key, doc);
          }
        }
        return Object.fromEntries(state);
      };
      return {
        /** The documents after folding, for custom assertions. */
        documents: (): Record<string, Doc> => fold([events]),
        thenDocuments(expected: Record<string, unknown>) {
          expect(fold([events])).toEqual(expected);
          // One event per batch must give the same documents as one batch of all.
          expect(fold(events.map((e) => [e]))).toEqual(expected);
        },
      };
    },
  };
}
