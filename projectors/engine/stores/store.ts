import type { estypes } from '@elastic/elasticsearch';
import type { Elasticsearch } from '../../../shared/clients/elasticsearch.ts';
import type { Pool, PoolClient } from '../../../shared/clients/postgres.ts';
import type { Logger } from '../../../shared/log.ts';
import type { DocumentProjection } from '../definition/define.ts';
import type { Value } from '../definition/fields/values.ts';
import type { DerivedField, DerivedView } from '../definition/public-view.ts';
import type { Condition, PageRequest } from '../definition/query.ts';
import type { RunningRole } from '../generations/generations.ts';
import type { Fence } from '../leases/fence.ts';
import type { DocumentStore } from '../pipeline/document-store.ts';
import type { DocumentRefusal } from '../pipeline/fold.ts';
import type { SqlReads } from '../support/sql-reads.ts';
import type { Connection, Node } from './connection.ts';

/** The clients a store's write side uses: the projector's own. */
export interface StoreContext {
  readonly pool: Pool;
  readonly es: Elasticsearch;
  readonly log: Logger;
  /** The installation's namespace (tests, side-by-side installs), which prefixes public names. */
  readonly namespace: string;
  /** The least time between two refreshes of a live Elasticsearch index; 0 or absent: none. */
  readonly refreshSpacingMs?: number;
}

/**
 * The storage of one generation of a projection: created before its first batch, switched to
 * when it takes over the public name, dropped after it was retired. A store takes part in the
 * phases of the switch it can: inside the catalog's transaction (a PostgreSQL view), or after
 * it commits (an Elasticsearch alias), readied before.
 */
export interface GenerationStorage {
  /**
   * Creates the generation's storage if it is missing; a live generation's public name is
   * made to point at it. Idempotent: concurrent owners may call it.
   */
  ensure(role: RunningRole): Promise<void>;
  /**
   * Readies a building generation to serve (an Elasticsearch index refreshes from now on),
   * before the switch's transaction opens: nothing slow runs while it holds the catalog.
   */
  prepareSwitch?(): Promise<void>;
  /** Points the public name at this generation inside the switch's transaction. */
  switchWithin?(tx: PoolClient): Promise<void>;
  /**
   * Points the public name at this generation where the switch's transaction cannot reach:
   * after it commits, and again whenever an owner starts or recovers, so a crash between the
   * two halves is repaired and the public name always ends up where the catalog says.
   * Idempotent.
   */
  finishSwitch?(): Promise<void>;
  /** Removes the generation's storage (after it was retired). */
  drop(): Promise<void>;
}

/** The two methods of an Elasticsearch client the API's reads use. */
export interface SearchReads {
  search<T>(params: estypes.SearchRequest): Promise<estypes.SearchResponse<T>>;
  count(params: estypes.CountRequest): Promise<estypes.CountResponse>;
}

/**
 * The stores as a reader sees them: a request's share (the API's request-stores.ts), or a
 * process's own for its live feeds. `alias` names a view's Elasticsearch alias.
 */
export interface ReadStores {
  readonly pool: SqlReads;
  readonly es: SearchReads;
  readonly alias: (view: string) => string;
}

/**
 * The reads of one served view, all derived from its public shape: lookups by key, keyset
 * pages in any declared ordering, counts; the pages of many parents in one read where the
 * store can (relations of kind many), and full-text search where it searches.
 */
export interface ViewReader {
  readonly view: DerivedView;
  /** A node's key as lookups index it: JSON of its key fields' values. */
  keyOf(node: Node): string;
  /** Nodes by key (each key the key fields' values in order), in one read. */
  lookup(keys: readonly (readonly Value[])[]): Promise<Map<string, Node>>;
  page(request: PageRequest): Promise<Connection>;
  /** The same page under many parents (`join` fields equal to each parent's values), in one read. */
  pages?(
    join: readonly DerivedField[],
    parents: readonly (readonly Value[])[],
    request: PageRequest,
    counts: (parent: readonly Value[]) => Promise<number>,
  ): Promise<Connection[]>;
  /** How many rows match `where` under each parent, in one read. */
  counts?(
    join: readonly DerivedField[],
    parents: readonly (readonly Value[])[],
    where: Condition,
  ): Promise<number[]>;
  /** Full text over the declared fields with their weights, most relevant first. */
  search?(text: string | null | undefined, request: PageRequest): Promise<Connection>;
}

/**
 * A store plug-in: where document projections keep their documents, with both sides of it.
 * Its write side is one generation at a time (storage and documents, sharing what they know,
 * e.g. whether writes must be searchable at once); its read side serves the API. Registered
 * once, by its `kind`, in `registry.ts`; its target factory is on the engine's face.
 */
export interface Store {
  /** The name its targets carry (`DocumentTarget.kind`) and its views report (`DerivedView.storage`). */
  readonly kind: string;
  /** One generation of a document projection kept here; `fence` is its owner's (none when run alone). */
  generation(
    projection: DocumentProjection,
    generation: number,
    context: StoreContext,
    fence?: Fence,
  ): GenerationStorage & DocumentStore<object, unknown>;
  /**
   * What it would refuse of the projection's documents, without a connection: the check its
   * generations give the fold (DocumentStore.refusal), for the testing face's specs.
   */
  documentRefusal(projection: DocumentProjection): DocumentRefusal<object>;
  /** The reads of a view kept here, on `stores`. */
  reader(view: DerivedView, stores: ReadStores): ViewReader;
}
