import type { PoolClient } from '../../shared/clients/postgres.ts';
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

/** Where a generation stands: the live one serves the public name, a building one is a shadow. */
export type GenerationRole = 'live' | 'building';

/** How the runner applies batches to one generation of a projection, whatever its kind and target. */
export interface BatchWriter {
  /** Creates the generation's storage; a live generation's public name is made to point at it. */
  ensureStorage(role: GenerationRole): Promise<void>;
  /** Points the public name at this generation, inside `tx` where the store allows (cut-over). */
  publish(tx: PoolClient): Promise<void>;
  /** Removes the generation's storage (after it was retired). */
  drop(): Promise<void>;
  /** Loads and folds what `events` change without writing anything; may be called again with fewer events. */
  prepare(events: readonly DomainEvent[]): Promise<PreparedBatch>;
}

/** Applies a document projection: load lookups, load documents, fold in memory, commit through the sink. */
export function documentWriter<Doc extends object, L>(
  projection: DocumentProjection<Doc, DomainEvent['type'], L>,
  sink: DocumentSink<Doc, L>,
): BatchWriter {
  return {
    ensureStorage: (role) => sink.ensureStorage(role),
    publish: (tx) => sink.publish(tx),
    drop: () => sink.drop(),
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
