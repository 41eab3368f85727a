import type { DomainEventType, EventOfType } from '../../shared/events/contract.ts';
import type { StreamName } from '../../shared/events/streams.ts';
import { type PublicShape, viewOf } from './public-shape.ts';

/** A stream a projection reads, optionally narrowed to subjects within it (e.g. `orders.order_placed.*`). */
export interface Source {
  readonly stream: StreamName;
  /**
   * One subject filter, written without the namespace; nats-server 2.9 takes only one. The
   * checkpoint of a filtered source is the last *matching* sequence, so a reader waiting for a
   * later non-matching sequence of that stream waits in vain: filter only when that is fine.
   */
  readonly filter?: string;
}

/** What happens after a poison event is dead-lettered: carry on without it, or stop and wait for a fix. */
export type PoisonPolicy = 'skip' | 'halt';

/** SQL types a document column can have in PostgreSQL. */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'boolean' | 'timestamptz' | 'jsonb';

/**
 * A PostgreSQL table holding one row per document. The document is a flat record: each key
 * is a column (camelCase in TypeScript, snake_case in SQL), timestamps as ISO-8601 strings.
 */
export interface PostgresTableTarget<Doc> {
  readonly kind: 'postgres';
  readonly columns: { readonly [K in keyof Doc & string]: ColumnType };
  /** Column lists (document keys) to index, e.g. `[['customerId', 'placedAt']]`. */
  readonly indexes?: readonly (readonly (keyof Doc & string)[])[];
  /**
   * SQL condition over the snake_case columns that a row must meet to be shown by the public
   * view; rows that fail it are kept (they hold what is known) but not served.
   */
  readonly visibleWhen?: string;
}

/**
 * An Elasticsearch index holding one document per key. The engine adds the per-stream
 * positions each document has absorbed (`_positions`) and writes with external versions, so
 * replaying an applied range never changes a document.
 */
export interface ElasticsearchIndexTarget {
  readonly kind: 'elasticsearch';
  /** Field mappings of the documents (plain mappings: the minimal distribution has no analysis-common). */
  readonly properties: Readonly<Record<string, unknown>>;
  /**
   * Documents that fail this test are stored (they hold what is known) but hidden from
   * readers, e.g. a product whose `product_added` has not been seen yet; the API filters on it.
   */
  readonly visibleField?: string;
}

interface ProjectionBase<T extends DomainEventType> {
  /** The public name: the PostgreSQL view or Elasticsearch alias the API reads. */
  readonly name: string;
  /** Bump to rebuild into a fresh generation (e.g. when the stored shape changes). */
  readonly version: number;
  readonly sources: readonly Source[];
  /** The event types folded; other events on the sources are skipped (their position still advances). */
  readonly handles: readonly T[];
  /** What to do after a poison event is dead-lettered; `skip` unless said otherwise. */
  readonly onPoison?: PoisonPolicy;
  /**
   * The view's public shape: what the API serves of it (fields, key, filters, sorts, relations,
   * full-text fields). A projection without one is projected but not served.
   */
  readonly api?: PublicShape;
}

/**
 * Small per-key state a document projection keeps beside its documents when an event does
 * not carry everything needed to find the documents it changes (an `order_cancelled` names the
 * order, not its products). Stored in PostgreSQL, committed with the checkpoint. The
 * projection's `key` and `evolve` see the record as it was before the event.
 */
export interface Lookup<L, T extends DomainEventType> {
  key(event: EventOfType<T>): string | undefined;
  evolve(record: L | null, event: EventOfType<T>): L | null;
}

/**
 * A document projection: `key` picks the document(s) an event changes, `evolve` folds one.
 * `evolve` must be pure and give the same document for any interleaving of the sources.
 *
 * @example
 * defineDocumentProjection({ name: 'orders', version: 1, sources: [{ stream: 'ORDERS' }],
 *   handles: ['orders.order_placed.v1'], key: (e) => e.data.orderId,
 *   evolve: (doc, e) => ({ ...doc, customerId: e.data.customerId }), target: postgresTable({...}) });
 */
export interface DocumentProjection<
  Doc extends object = object,
  T extends DomainEventType = DomainEventType,
  L = unknown,
> extends ProjectionBase<T> {
  readonly kind: 'document';
  readonly lookup?: Lookup<L, T>;
  /** The document key, or several when one event changes several documents. */
  key(event: EventOfType<T>, lookup: L | null): string | readonly string[];
  /** Folds one event into one document; `key` is the document's (an event may have several). */
  evolve(doc: Doc | null, event: EventOfType<T>, key: string, lookup: L | null): Doc | null;
  readonly target: PostgresTableTarget<Doc> | ElasticsearchIndexTarget;
}

/**
 * Statements a SQL projection may issue, inside the batch's transaction. `table` names one of
 * the projection's own tables in the generation being written.
 */
export interface SqlContext {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]>;
  table(name: string): string;
}

/**
 * A SQL projection: for aggregates and views that need custom SQL. `apply` receives a whole
 * batch and issues set-based statements in the transaction that also moves the checkpoint.
 *
 * @example
 * defineSqlProjection({ name: 'daily_sales', version: 1, sources: [{ stream: 'ORDERS' }],
 *   handles: ['orders.order_placed.v1'], tables: (t) => [`CREATE TABLE ${t('days')} (...)`],
 *   view: (t) => `SELECT * FROM ${t('days')}`, apply: async (events, sql) => { await sql.query(...) } });
 */
export interface SqlProjection<T extends DomainEventType = DomainEventType> extends ProjectionBase<T> {
  readonly kind: 'sql';
  /** DDL creating the projection's tables for one generation; `table('x')` gives the quoted name. */
  tables(table: (name: string) => string): readonly string[];
  /** The SELECT the public view shows. */
  view(table: (name: string) => string): string;
  apply(events: readonly EventOfType<T>[], sql: SqlContext): Promise<void>;
}

export type Projection =
  | DocumentProjection<object, DomainEventType, unknown>
  | SqlProjection<DomainEventType>;

export function defineDocumentProjection<Doc extends object, const T extends DomainEventType, L = never>(
  projection: Omit<DocumentProjection<Doc, T, L>, 'kind'>,
): DocumentProjection<Doc, T, L> {
  const defined: DocumentProjection<Doc, T, L> = { kind: 'document', ...projection };
  viewOf(defined); // a shape that does not fit its storage fails here, at definition
  return defined;
}

export function defineSqlProjection<const T extends DomainEventType>(
  projection: Omit<SqlProjection<T>, 'kind'>,
): SqlProjection<T> {
  const defined: SqlProjection<T> = { kind: 'sql', ...projection };
  viewOf(defined);
  return defined;
}

export function postgresTable<Doc>(target: Omit<PostgresTableTarget<Doc>, 'kind'>): PostgresTableTarget<Doc> {
  return { kind: 'postgres', ...target };
}

export function elasticsearchIndex(target: Omit<ElasticsearchIndexTarget, 'kind'>): ElasticsearchIndexTarget {
  return { kind: 'elasticsearch', ...target };
}

/**
 * Forgets a projection's document and event types so projections of different views fit in
 * one registry list. Safe because the engine only hands a projection its own documents and
 * the events its `handles` names.
 */
export function registered<Doc extends object, T extends DomainEventType, L>(
  projection: DocumentProjection<Doc, T, L> | SqlProjection<T>,
): Projection {
  return projection as unknown as Projection;
}
