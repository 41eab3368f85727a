import type { DomainEventType, EventOfType } from '../../shared/events/contract.ts';
import type { StreamName } from '../../shared/events/streams.ts';

/** A stream a projection reads, optionally narrowed to subjects within it (e.g. `orders.order_placed.*`). */
export interface Source {
  readonly stream: StreamName;
  /** One subject filter, written without the namespace; nats-server 2.9 takes only one. */
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

interface ProjectionBase<T extends DomainEventType> {
  /** The public name: the PostgreSQL view or Elasticsearch alias the API reads. */
  readonly name: string;
  /** Bump to rebuild into a fresh generation (e.g. when the stored shape changes). */
  readonly version: number;
  readonly sources: readonly Source[];
  /** The event types folded; other events on the sources are skipped (their position still advances). */
  readonly handles: readonly T[];
  readonly onPoison?: PoisonPolicy;
}

/**
 * A document projection: `key` picks the document an event belongs to, `evolve` folds it.
 * `evolve` must be pure and give the same document for any interleaving of the sources.
 *
 * @example
 * defineDocumentProjection({ name: 'orders', version: 1, sources: [{ stream: 'ORDERS' }],
 *   handles: ['orders.order_placed.v1'], key: (e) => e.data.orderId,
 *   evolve: (doc, e) => ({ ...doc, customerId: e.data.customerId }), target: postgresTable({...}) });
 */
export interface DocumentProjection<Doc extends object = object, T extends DomainEventType = DomainEventType>
  extends ProjectionBase<T> {
  readonly kind: 'document';
  key(event: EventOfType<T>): string;
  evolve(doc: Doc | null, event: EventOfType<T>): Doc | null;
  readonly target: PostgresTableTarget<Doc>;
}

export type Projection = DocumentProjection<object, DomainEventType>;

export function defineDocumentProjection<Doc extends object, const T extends DomainEventType>(
  projection: Omit<DocumentProjection<Doc, T>, 'kind'>,
): DocumentProjection<Doc, T> {
  return { kind: 'document', ...projection };
}

export function postgresTable<Doc>(target: Omit<PostgresTableTarget<Doc>, 'kind'>): PostgresTableTarget<Doc> {
  return { kind: 'postgres', ...target };
}

/**
 * Forgets a projection's document and event types so projections of different views fit in
 * one registry list. Safe because the engine only hands a projection its own documents and
 * the events its `handles` names.
 */
export function registered<Doc extends object, T extends DomainEventType>(
  projection: DocumentProjection<Doc, T>,
): Projection {
  return projection as unknown as Projection;
}
