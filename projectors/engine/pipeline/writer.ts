import type { AnyEvent } from '../../../shared/events/event-type.ts';
import type { CheckpointMove, UnitOfWorkWrites } from '../commit/unit-of-work.ts';
import type { DocumentProjection } from '../definition/define.ts';
import { DocumentCache } from './document-cache.ts';
import type { DocumentStore } from './document-store.ts';
import { documentKeys, type FoldFailure, foldBatch, lookupKeys, type Stored } from './fold.ts';
import { KeyFilter } from './key-filter.ts';

export type { CheckpointMove } from '../commit/unit-of-work.ts';

/** Commits a batch's move with its writes, in one transaction: `commitUnitOfWork` bound to a generation. */
export type UnitOfWork = (move: CheckpointMove, writes: UnitOfWorkWrites) => Promise<void>;

/** A batch ready to commit: the events that cannot be applied, and how to make the rest durable. */
export interface PreparedBatch {
  readonly failures: readonly FoldFailure[];
  /**
   * True when something this batch was folded from has since turned out not to hold (an
   * earlier batch's commit failed): prepare it again before committing.
   */
  readonly stale: boolean;
  commit(move: CheckpointMove): Promise<void>;
}

/**
 * How the runner applies batches to one generation of a projection, whatever its kind and
 * store. Storage (creating it, the switch, dropping it) is the store's, not the writer's.
 */
export interface BatchWriter {
  /**
   * Forgets whatever the writer knew and looks at what the generation holds; called by the
   * owner before its first batch, after the storage is ensured (and again after it was
   * dropped and created anew).
   */
  start(): Promise<void>;
  /** Loads and folds what `events` change without writing anything; may be called again with fewer events. */
  prepare(events: readonly AnyEvent[]): Promise<PreparedBatch>;
}

/** Documents (and lookup records) kept in memory per writer; about 5–20 MB for typical documents. */
const CACHED_DOCUMENTS = 20_000;

/**
 * Applies a document projection: load lookups, load documents, fold in memory, hand the
 * documents to the store (inside the batch's transaction: as its statements, or, for a store
 * that cannot share it, written once they passed and before COMMIT) and commit the unit of
 * work. Recently used documents stay cached, so a batch only loads what it has not seen.
 *
 * The runner prepares the next batch while the previous one commits. What a committing batch
 * folded is therefore held apart, in `inFlight`, until its commit succeeds: it is newer than
 * the cache and the store, and no eviction may lose it. A failed commit forgets everything
 * the writer knew (the runner discards what it prepared since and restarts from the
 * checkpoint, or isolates a poison event) and makes the batches prepared since `stale`.
 *
 * A writer that finds its generation empty when it starts (a rebuild, a new projection, a
 * first catch-up) also remembers every key it writes in a KeyFilter: then a key it neither
 * caches nor has written is known to be absent and is not loaded, which during a replay from
 * sequence 1 is most keys (every new order, every new product). Knowing is lost for good on a
 * failed commit, after which another owner may have written, and the store is read as usual.
 */
export function documentWriter<Doc extends object, L>(
  projection: DocumentProjection<Doc, AnyEvent, L>,
  store: DocumentStore<Doc, L>,
  unitOfWork: UnitOfWork,
): BatchWriter {
  const writeOutside = store.writeOutside?.bind(store);
  const refusal = store.refusal?.bind(store);
  // Null marks a key the store does not hold.
  const docCache = new DocumentCache<Stored<Doc>>(CACHED_DOCUMENTS);
  const lookupCache = new DocumentCache<L | null>(CACHED_DOCUMENTS);
  const ABSENT: Stored<Doc> = { doc: null, positions: {} };
  const inFlight = { docs: new Map<string, Stored<Doc>>(), lookups: new Map<string, L | null>() };
  /** Every key this writer may have written, while the store held nothing else; else undefined. */
  let written: KeyFilter | undefined;
  const mayBeStored = (key: string) => written?.mightHold(key) ?? true;
  /** Grows whenever what a prepared batch read may no longer hold. */
  let epoch = 0;

  function forgetAll(): void {
    inFlight.docs.clear();
    inFlight.lookups.clear();
    docCache.clear();
    lookupCache.clear();
    written = undefined;
    epoch++;
  }

  /**
   * Reads keys newest first: what a committing batch folded, then the cache, then the store
   * (only keys that may be there). What the store lacks is cached as `absent`, and left out.
   */
  async function readThrough<V>(
    keys: readonly string[],
    pending: ReadonlyMap<string, V>,
    cache: DocumentCache<V>,
    load: (keys: readonly string[]) => Promise<Map<string, V>>,
    absent: V,
  ): Promise<Map<string, V>> {
    const found = new Map<string, V>();
    const rest: string[] = [];
    for (const key of keys) {
      if (pending.has(key)) found.set(key, pending.get(key) as V);
      else rest.push(key);
    }
    const { hits, misses } = cache.lookup(rest);
    const stored = misses.filter(mayBeStored);
    const loadedAt = epoch;
    const loaded = stored.length > 0 ? await load(stored) : new Map<string, V>();
    // A cache cleared meanwhile (a failed commit: another owner may have written) must not be
    // refilled with what this load saw before.
    if (epoch === loadedAt) for (const key of misses) cache.set(key, loaded.get(key) ?? absent);
    for (const [key, value] of loaded) found.set(key, value);
    for (const [key, value] of hits) if (value !== absent) found.set(key, value);
    return found;
  }

  async function loadLookups(keys: readonly string[]): Promise<Map<string, L>> {
    const found = await readThrough(
      keys,
      inFlight.lookups,
      lookupCache,
      store.lookups.load.bind(store.lookups),
      null,
    );
    // A record deleted by a committing batch is absent too.
    for (const [key, record] of found) if (record === null) found.delete(key);
    return found as Map<string, L>;
  }

  // A document deleted by a committing batch stays: its positions still count.
  const loadDocs = (keys: readonly string[]) =>
    readThrough(keys, inFlight.docs, docCache, store.load.bind(store), ABSENT);

  return {
    async start() {
      // Once before the first batch, or again after the storage was dropped (a restart).
      forgetAll();
      written = (await store.isEmpty()) ? new KeyFilter() : undefined;
    },
    async prepare(events) {
      const preparedAt = epoch;
      const lookups = await loadLookups(lookupKeys(projection, events));
      const keys = new Set(documentKeys(projection, events, lookups));
      const docs = await loadDocs([...keys]);
      let folded = foldBatch(projection, events, { docs, lookups, keys }, refusal);
      // An event that failed in `evolve` left its lookup record unchanged, which `documentKeys`
      // could not know: later events may touch documents it did not load. Load those and fold
      // again, so no stored document is ever folded from empty.
      while (folded.unloaded.length > 0) {
        for (const [key, stored] of await loadDocs(folded.unloaded)) docs.set(key, stored);
        for (const key of folded.unloaded) keys.add(key);
        folded = foldBatch(projection, events, { docs, lookups, keys }, refusal);
      }
      return {
        failures: folded.failures,
        get stale() {
          return epoch !== preparedAt;
        },
        async commit(move) {
          // What a load would return once this commit is in (positions only where stored).
          const committed = new Map<string, Stored<Doc>>();
          for (const [key, stored] of folded.docs) {
            committed.set(key, store.keepsPositions ? stored : { doc: stored.doc, positions: {} });
          }
          // Registered before the first await: the next batch is prepared meanwhile.
          for (const [key, stored] of committed) inFlight.docs.set(key, stored);
          for (const [key, record] of folded.lookups) inFlight.lookups.set(key, record);
          // Added before writing: the filter must cover whatever a failed commit left behind.
          for (const key of folded.docs.keys()) written?.add(key);
          for (const key of folded.lookups.keys()) written?.add(key);
          try {
            await unitOfWork(move, {
              statements: (statements) => {
                store.writeWithin?.(statements, folded.docs);
                store.lookups.write(statements, folded.lookups);
              },
              // Inside the transaction, once its statements passed: a batch PostgreSQL refuses
              // (a poison lookup record) never reaches a store that cannot take it back. A batch
              // that changes no document (a poison event's dead letter alone) skips the wait.
              ...(writeOutside && folded.docs.size > 0 ? { outside: () => writeOutside(folded.docs) } : {}),
            });
          } catch (error) {
            // Whatever the store holds now (a refused document, a half-written bulk, another
            // owner's rows) is read back, and what was prepared on top of this batch is stale.
            forgetAll();
            throw error;
          }
          for (const [key, stored] of committed) {
            docCache.set(key, stored);
            // A later batch's newer version stays in flight until its own commit.
            if (inFlight.docs.get(key) === stored) inFlight.docs.delete(key);
          }
          for (const [key, record] of folded.lookups) {
            lookupCache.set(key, record);
            if (inFlight.lookups.get(key) === record) inFlight.lookups.delete(key);
          }
        },
      };
    },
  };
}
