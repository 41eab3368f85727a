import type { PoolClient } from '../../shared/clients/postgres.ts';
import type { Stored } from './fold.ts';
import type { CheckpointMove, GenerationRole } from './writer.ts';

/** Everything one batch changes: documents, lookups, and the checkpoint move. */
export interface BatchChange<Doc, L> extends CheckpointMove {
  readonly docs: ReadonlyMap<string, Stored<Doc>>;
  readonly lookups: ReadonlyMap<string, L | null>;
}

/**
 * Where a document projection's documents live. The engine loads a batch's documents, folds
 * them in memory and hands the result to `commit`, which makes documents and checkpoint durable
 * together (one transaction) or documents first and checkpoint after (no shared transaction).
 */
export interface DocumentSink<Doc, L> {
  /**
   * Whether documents are stored with the positions they absorbed (a store without a shared
   * transaction needs them to skip replayed events); otherwise loads give empty positions.
   */
  readonly keepsPositions: boolean;
  ensureStorage(role: GenerationRole): Promise<void>;
  publish(tx: PoolClient): Promise<void>;
  drop(): Promise<void>;
  /**
   * Whether the store holds no document and no lookup record of this generation, counting
   * writes a reader cannot see yet; asked once, by the owner, before its first batch.
   */
  isEmpty(): Promise<boolean>;
  load(keys: readonly string[]): Promise<Map<string, Stored<Doc>>>;
  loadLookups(keys: readonly string[]): Promise<Map<string, L>>;
  /** Makes the batch durable; returns the keys of documents the store refused (dead-lettered). */
  commit(change: BatchChange<Doc, L>): Promise<readonly string[]>;
}
