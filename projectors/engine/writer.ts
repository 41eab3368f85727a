import type { DomainEvent } from '../../shared/events/contract.ts';
import type { Checkpoint } from './checkpoint-store.ts';
import type { DeadLetter } from './dead-letters.ts';
import type { DocumentProjection } from './define.ts';
import { documentKeys, type FoldFailure, foldBatch, lookupKeys } from './fold.ts';
import type { DocumentSink } from './sink.ts';

/** What a batch does besides its view changes, all made durable together with them. */
export interface CheckpointMove {
  /** The checkpoint this writer read; a different stored one means another writer moved it. */
  readonly expected: Checkpoint;
  readonly next: Checkpoint;
  readonly deadLetters: readonly DeadLetter[];
  /** Ids of retried dead letters this batch applies. */
  readonly resolvedDeadLetters: readonly number[];
}

/** A batch ready to commit: the events that cannot be applied, and how to make the rest durable. */
export interface PreparedBatch {
  readonly failures: readonly FoldFailure[];
  commit(move: CheckpointMove): Promise<void>;
}

/** How the runner applies batches to one projection, whatever its kind and target. */
export interface BatchWriter {
  ensureStorage(): Promise<void>;
  /** Loads and folds what `events` change without writing anything; may be called again with fewer events. */
  prepare(events: readonly DomainEvent[]): Promise<PreparedBatch>;
}

/** Applies a document projection: load lookups, load documents, fold in memory, commit through the sink. */
export function documentWriter<Doc extends object, L>(
  projection: DocumentProjection<Doc, DomainEvent['type'], L>,
  sink: DocumentSink<Doc, L>,
): BatchWriter {
  return {
    ensureStorage: () => sink.ensureStorage(),
    async prepare(events) {
      const lookups = await sink.loadLookups(lookupKeys(projection, events));
      const docs = await sink.load(documentKeys(projection, events, lookups));
      const folded = foldBatch(projection, events, { docs, lookups });
      return {
        failures: folded.failures,
        commit: (move) => sink.commit({ ...move, docs: folded.docs, lookups: folded.lookups }),
      };
    },
  };
}
