import { commitUnitOfWork } from '../commit/unit-of-work.ts';
import type { DocumentProjection, Projection } from '../definition/define.ts';
import { partitionScope } from '../definition/partition-scope.ts';
import type { DerivedView } from '../definition/public-view.ts';
import type { Fence } from '../leases/fence.ts';
import type { DocumentRefusal } from '../pipeline/fold.ts';
import { type BatchWriter, documentWriter } from '../pipeline/writer.ts';
import { elasticsearchStore } from './elasticsearch/store.ts';
import { postgresStore } from './postgres/store.ts';
import { sqlProjectionStorage } from './sql/sql-storage.ts';
import { sqlWriter } from './sql/sql-writer.ts';
import type { GenerationStorage, ReadStores, Store, StoreContext, ViewReader } from './store.ts';

/** The store plug-ins, by the kind their targets carry: a new store is one more entry. */
const STORES: ReadonlyMap<string, Store> = new Map(
  [postgresStore, elasticsearchStore].map((store) => [store.kind, store]),
);

function storeOf(kind: string): Store {
  const store = STORES.get(kind);
  if (!store) throw new Error(`no store plug-in for targets of kind ${kind}`);
  return store;
}

/** One generation of a projection as its owner runs it: its storage, and how batches are written to it. */
export interface GenerationParts {
  readonly storage: GenerationStorage;
  readonly writer: BatchWriter;
}

/**
 * The storage and the writer of one generation, by the projection's kind and its target's
 * store. With `fence` every commit is fenced by it (and Elasticsearch versions carry its
 * epoch); without one (a benchmark, a test of one runner) nothing else may write meanwhile.
 */
export function generationOf(
  whole: Projection,
  generation: number,
  context: StoreContext,
  fence?: Fence,
): GenerationParts {
  const { pool } = context;
  // A partition's owner runs the projection narrowed to its keys, with its own checkpoint.
  const projection = partitionScope(whole, fence?.partition ?? 0);
  if (projection.kind === 'sql') {
    return {
      storage: sqlProjectionStorage(pool, projection, generation),
      writer: sqlWriter(pool, projection, generation, fence),
    };
  }
  const kept = storeOf(projection.target.kind).generation(projection, generation, context, fence);
  const writer = documentWriter(projection, kept, (move, writes) =>
    commitUnitOfWork(pool, { projection: projection.name, generation, fence }, move, writes),
  );
  return { storage: kept, writer };
}

/** The storage of one generation alone: to point the public name at it, or to drop it. */
export function storageOf(
  projection: Projection,
  generation: number,
  context: StoreContext,
): GenerationStorage {
  if (projection.kind === 'sql') return sqlProjectionStorage(context.pool, projection, generation);
  return storeOf(projection.target.kind).generation(projection, generation, context);
}

/** What the store that keeps a document projection would refuse of its documents (no connection needed). */
export function documentRefusalOf(projection: DocumentProjection): DocumentRefusal<object> {
  return storeOf(projection.target.kind).documentRefusal(projection);
}

/** The reads of a served view, by the store that keeps it. */
export function readerOf(view: DerivedView, stores: ReadStores): ViewReader {
  return storeOf(view.storage).reader(view, stores);
}
