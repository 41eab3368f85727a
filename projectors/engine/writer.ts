import type { PoolClient } from '../../shared/clients/postgres.ts';
import type { DomainEvent } from '../../shared/events/contract.ts';
import type { Checkpoint } from './checkpoint-store.ts';
import type { DeadLetter } from './dead-letters.ts';
import type { DocumentProjection } from './define.ts';
import { DocumentCache } from './document-cache.ts';
import { documentKeys, type FoldFailure, foldBatch, lookupKeys, type Stored } from './fold.ts';
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

/** Documents (and lookup records) kept in memory per writer; about 5–20 MB for typical documents. */
const CACHED_DOCUMENTS = 20_000;

/**
 * Applies a document projection: load lookups, load documents, fold in memory, commit through
 * the sink. Recently used documents stay cached, so a batch only loads what it has not seen.
 */
export function documentWriter<Doc extends object, L>(
  projection: DocumentProjection<Doc, DomainEvent['type'], L>,
  sink: DocumentSink<Doc, L>,
): BatchWriter {
  // Null marks a key the store does not hold.
  const docCache = new DocumentCache<Stored<Doc>>(CACHED_DOCUMENTS);
  const lookupCache = new DocumentCache<L | null>(CACHED_DOCUMENTS);
  const ABSENT: Stored<Doc> = { doc: null, positions: {} };

  async function loadLookups(keys: readonly string[]): Promise<Map<string, L>> {
    const { hits, misses } = lookupCache.lookup(keys);
    const loaded = misses.length > 0 ? await sink.loadLookups(misses) : new Map<string, L>();
    for (const key of misses) lookupCache.set(key, loaded.get(key) ?? null);
    const lookups = new Map(loaded);
    for (const [key, record] of hits) if (record !== null) lookups.set(key, record);
    return lookups;
  }

  async function loadDocs(keys: readonly string[]): Promise<Map<string, Stored<Doc>>> {
    const { hits, misses } = docCache.lookup(keys);
    const loaded = misses.length > 0 ? await sink.load(misses) : new Map<string, Stored<Doc>>();
    for (const key of misses) docCache.set(key, loaded.get(key) ?? ABSENT);
    const docs = new Map(loaded);
    for (const [key, stored] of hits) if (stored !== ABSENT) docs.set(key, stored);
    return docs;
  }

  return {
    ensureStorage: (role) => sink.ensureStorage(role),
    publish: (tx) => sink.publish(tx),
    drop: () => sink.drop(),
    async prepare(events) {
      const lookups = await loadLookups(lookupKeys(projection, events));
      const docs = await loadDocs(documentKeys(projection, events, lookups));
      const folded = foldBatch(projection, events, { docs, lookups });
      return {
        failures: folded.failures,
        async commit(move) {
          let refused: readonly string[];
          try {
            refused = await sink.commit({ ...move, docs: folded.docs, lookups: folded.lookups });
          } catch (error) {
            docCache.clear();
            lookupCache.clear();
            throw error;
          }
          for (const [key, stored] of folded.docs) {
            // Cache what a load would return.
            docCache.set(key, sink.keepsPositions ? stored : { doc: stored.doc, positions: {} });
          }
          for (const [key, record] of folded.lookups) lookupCache.set(key, record);
          // What the store refused is not what was folded: read it back next time.
          for (const key of refused) docCache.delete(key);
        },
      };
    },
  };
}
