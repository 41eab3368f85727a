import type { Contract, EventsOfType, EventTypeName, StreamOf } from '../../../shared/events/contract.ts';
import type { AnyEvent } from '../../../shared/events/event-type.ts';
import { aggregateKeyProblems, partitioningProblems } from './partitions.ts';
import type { PublicShape } from './public-shape.ts';
import { type ShapeTarget, viewOf } from './public-view.ts';
import { checkStartPosition, type StartPosition } from './start-position.ts';

/** A stream a projection reads, optionally narrowed to subjects within it (e.g. `orders.order_placed.*`). */
export interface Source<S extends string = string> {
  readonly stream: S;
  /**
   * One subject filter, written without the namespace; nats-server 2.9 takes only one. The
   * checkpoint of a filtered source is the last *matching* sequence, so a reader waiting for a
   * later non-matching sequence of that stream waits in vain: filter only when that is fine.
   */
  readonly filter?: string;
  /** Where a new generation starts reading (default: from sequence 1, the whole history). */
  readonly start?: StartPosition;
  /**
   * Says that the key of every event the projection handles from this stream (a document
   * projection's `key`, a SQL projection's `partitionKey`) is the event's aggregate id, the id
   * in its NATS subject. Then each partition passes over the other partitions' messages of the
   * stream before decoding them (nats-server 2.9 sends every partition the whole stream). Checked
   * on every event the partition decodes: one whose key is not its aggregate id is dead-lettered.
   * Not for a projection with a `lookup`, which every partition folds from every event.
   */
  readonly keyIsAggregateId?: boolean;
}

/** What happens after a poison event is dead-lettered: carry on without it, or stop and wait for a fix. */
export type PoisonPolicy = 'skip' | 'halt';

/**
 * Where a document projection keeps its documents: a store's target, made by the store's own
 * factory (`postgresTable`, `elasticsearchIndex`). `kind` names the store plug-in that
 * writes and reads it; `layout` says how the store lays out the view's public shape.
 */
export interface DocumentTarget extends ShapeTarget {
  readonly kind: string;
}

interface ProjectionBase<E extends AnyEvent, S extends string> {
  /** The public name: the PostgreSQL view or Elasticsearch alias the API reads. */
  readonly name: string;
  /** Bump to rebuild into a fresh generation (e.g. when the stored shape changes). */
  readonly version: number;
  readonly sources: readonly Source<S>[];
  /** The event types folded; other events on the sources are skipped (their position still advances). */
  readonly handles: readonly E['type'][];
  /** What to do after a poison event is dead-lettered; `skip` unless said otherwise. */
  readonly onPoison?: PoisonPolicy;
  /**
   * The view's public shape: what the API serves of it (fields, key, filters, sorts, relations,
   * full-text fields). A projection without one is projected but not served.
   */
  readonly api?: PublicShape;
  /**
   * How many partitions (1 to 256, default 1) the projection is split into by a hash of each
   * event's key (a document projection's `key`, a SQL projection's `partitionKey`): each has its
   * own checkpoint and lease, so projector processes share the work. Changing it needs a new
   * `version` (a new generation), never an in-place move.
   */
  readonly partitions?: number;
}

/**
 * Small per-key state a document projection keeps beside its documents when an event does
 * not carry everything needed to find the documents it changes (an `order_cancelled` names the
 * order, not its products). Stored in PostgreSQL, committed with the checkpoint. The
 * projection's `key` and `evolve` see the record as it was before the event.
 */
export interface Lookup<L, E extends AnyEvent = AnyEvent> {
  key(event: E): string | undefined;
  evolve(record: L | null, event: E): L | null;
}

/**
 * A document projection: `key` picks the document(s) an event changes, `evolve` folds one.
 * `evolve` must be pure and give the same document for any interleaving of the sources.
 *
 * @example
 * defineDocumentProjection(shop, { name: 'orders', version: 1, sources: [{ stream: 'ORDERS' }],
 *   handles: ['orders.order_placed.v1'], key: (e) => e.data.orderId,
 *   evolve: (doc, e) => ({ ...doc, customerId: e.data.customerId }), target: postgresTable({...}) });
 */
export interface DocumentProjection<
  Doc extends object = object,
  E extends AnyEvent = AnyEvent,
  L = unknown,
  S extends string = string,
  T extends DocumentTarget = DocumentTarget,
> extends ProjectionBase<E, S> {
  readonly kind: 'document';
  readonly lookup?: Lookup<L, E>;
  /** The document key, or several when one event changes several documents. */
  key(event: E, lookup: L | null): string | readonly string[];
  /** Folds one event into one document; `key` is the document's (an event may have several). */
  evolve(doc: Doc | null, event: E, key: string, lookup: L | null): Doc | null;
  readonly target: T;
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
 * defineSqlProjection(shop, { name: 'daily_sales', version: 1, sources: [{ stream: 'ORDERS' }],
 *   handles: ['orders.order_placed.v1'], tables: (t) => [`CREATE TABLE ${t('days')} (...)`],
 *   view: (t) => `SELECT * FROM ${t('days')}`, apply: async (events, sql) => { await sql.query(...) } });
 */
export interface SqlProjection<E extends AnyEvent = AnyEvent, S extends string = string>
  extends ProjectionBase<E, S> {
  readonly kind: 'sql';
  /** DDL creating the projection's tables for one generation; `table('x')` gives the quoted name. */
  tables(table: (name: string) => string): readonly string[];
  /** The SELECT the public view shows. */
  view(table: (name: string) => string): string;
  apply(events: readonly E[], sql: SqlContext): Promise<void>;
  /**
   * With `partitions` > 1: the key an event's rows are kept under (a customer id, an order id),
   * so that every row a batch of one partition touches belongs to that partition alone.
   */
  partitionKey?(event: E): string | undefined;
}

/**
 * A projection of any application, with its document and event types forgotten so that
 * projections of different views fit in one list. Safe because the engine only hands a
 * projection its own documents and the events its `handles` names.
 */
export type Projection = DocumentProjection<object, AnyEvent, unknown> | SqlProjection<AnyEvent>;

/** What a document projection's definition gives; `handles` narrows the events the rest sees. */
type DocumentDefinition<
  C extends Contract,
  Doc extends object,
  T extends string,
  L,
  Target extends DocumentTarget,
> = Omit<DocumentProjection<Doc, EventsOfType<C, T>, L, StreamOf<C>, Target>, 'kind' | 'handles'> & {
  readonly handles: readonly T[];
};

/**
 * Defines a document projection over the events of `contract`: `key`, `evolve` and `lookup`
 * see exactly the event types `handles` names, typed by their schemas.
 */
export function defineDocumentProjection<
  C extends Contract,
  Doc extends object,
  const T extends EventTypeName<C>,
  L = never,
  Target extends DocumentTarget = DocumentTarget,
>(
  contract: C,
  projection: DocumentDefinition<C, Doc, T, L, Target>,
): DocumentProjection<Doc, EventsOfType<C, T>, L, StreamOf<C>, Target> {
  checkDefinition(contract, 'document', projection);
  const defined = { kind: 'document', ...projection } as DocumentProjection<
    Doc,
    EventsOfType<C, T>,
    L,
    StreamOf<C>,
    Target
  >;
  viewOf(defined); // a public shape that does not fit its storage fails here, at definition
  return defined;
}

/** Defines a SQL projection over the events of `contract`; `apply` sees the types `handles` names. */
export function defineSqlProjection<C extends Contract, const T extends EventTypeName<C>>(
  contract: C,
  projection: Omit<SqlProjection<EventsOfType<C, T>, StreamOf<C>>, 'kind' | 'handles'> & {
    readonly handles: readonly T[];
  },
): SqlProjection<EventsOfType<C, T>, StreamOf<C>> {
  checkDefinition(contract, 'sql', projection);
  const defined = { kind: 'sql', ...projection } as SqlProjection<EventsOfType<C, T>, StreamOf<C>>;
  viewOf(defined);
  return defined;
}

export class DefinitionError extends Error {
  readonly code = 'DEFINITION_INVALID';
}

const VIEW_NAME = /^[a-z][a-z0-9_]{0,40}$/;

/**
 * What the types cannot check: a definition read from JavaScript, or built at run time, still
 * stops start-up with a message naming the projection and the mistake.
 */
function checkDefinition(
  contract: Contract,
  kind: Projection['kind'],
  p: {
    partitions?: number;
    partitionKey?: unknown;
    lookup?: unknown;
    name: string;
    version: number;
    sources: readonly Source[];
    handles: readonly string[];
  },
): void {
  const problems: string[] = [...partitioningProblems(kind, p), ...aggregateKeyProblems(kind, p)];
  if (!VIEW_NAME.test(p.name))
    problems.push('name: lower-case letters, digits and _ (max 41), starting with a letter');
  if (!Number.isSafeInteger(p.version) || p.version < 1) problems.push('version: a positive integer');
  if (p.sources.length === 0) problems.push('sources: at least one');
  const seen = new Set<string>();
  for (const source of p.sources) {
    const stream = contract.streams.find((s) => s.name === source.stream);
    if (!stream) problems.push(`sources: stream ${source.stream} is not in the contract`);
    // One consumer per stream and projection: two sources on a stream would need two checkpoints.
    if (seen.has(source.stream)) problems.push(`sources: stream ${source.stream} is named twice`);
    seen.add(source.stream);
    if (source.start) {
      try {
        checkStartPosition(source.start, `sources: ${source.stream}`);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  if (p.handles.length === 0) problems.push('handles: at least one event type');
  for (const type of p.handles) {
    const eventType = contract.events.find((e) => e.type === type);
    if (!eventType) problems.push(`handles: ${type} is not a current event type of the contract`);
    else if (!p.sources.some((s) => s.stream === eventType.stream))
      problems.push(`handles: ${type} is published on ${eventType.stream}, which is not a source`);
  }
  if (problems.length > 0)
    throw new DefinitionError(`invalid projection ${p.name}:\n  ${problems.join('\n  ')}`);
}
