import type { LookupRecords } from '../commit/lookup-store.ts';
import type { Statements } from '../commit/statements.ts';
import type { DocumentRefusedError } from '../poison/classification.ts';
import type { Stored } from './fold.ts';

/**
 * Where a document projection's documents live, as the pipeline writes them. The engine loads
 * a batch's documents, folds them in memory and owns the batch's unit of work
 * (`commit/unit-of-work.ts`): it hands the store the folded documents to write, as statements
 * of the batch's PostgreSQL transaction or, for a store that cannot share it, once the
 * transaction's statements have passed and before its COMMIT; a store takes part in the phase
 * it can. It writes only what it is given; checkpoint, lookups and dead letters are the
 * engine's. Implemented by each store plug-in (`stores/`).
 */
export interface DocumentStore<Doc, L> {
  /**
   * Whether documents are stored with the positions they absorbed (a store without a shared
   * transaction needs them to skip replayed events); otherwise loads give empty positions.
   */
  readonly keepsPositions: boolean;
  /** The generation's lookup records; the engine writes them in the batch's transaction. */
  readonly lookups: LookupRecords<L>;
  /**
   * Whether the store holds no document and no lookup record of this generation, counting
   * writes a reader cannot see yet; asked by the writer when it starts.
   */
  isEmpty(): Promise<boolean>;
  load(keys: readonly string[]): Promise<Map<string, Stored<Doc>>>;
  /**
   * What the store would refuse of a document (or change on its way in), found before it is
   * written: the error to dead-letter its event with, or undefined. The fold asks it of every
   * state it takes a document through, not only of the batch's last, so whether an event is
   * dead-lettered does not depend on where batches are cut (a later event of the same batch
   * may replace the value the store would refuse). `previous` is the state the document was
   * folded from (null for a new one): what it holds unchanged was checked or stored already.
   */
  refusal?(key: string, doc: Doc, previous: Doc | null): DocumentRefusedError | undefined;
  /**
   * Writes documents to a store outside PostgreSQL (and, for a live generation, makes them
   * searchable) while the batch's transaction waits, its statements passed, before COMMIT.
   * A COMMIT failing after it replays the batch: the same write again must change nothing.
   * The documents have passed `refusal`. Throws `DocumentRefusedError` when the store still
   * refuses one for good (the batch is then bisected for its poison event), any other error when
   * the write failed as a whole and is retried.
   */
  writeOutside?(docs: ReadonlyMap<string, Stored<Doc>>): Promise<void>;
  /** Writes documents inside the batch's transaction: queues the statements, sent with its commit. */
  writeWithin?(statements: Statements, docs: ReadonlyMap<string, Stored<Doc>>): void;
}
