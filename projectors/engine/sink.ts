import type { Checkpoint } from './checkpoint-store.ts';
import type { DeadLetter } from './dead-letters.ts';

/** Everything one batch changes: documents, dead letters, and the checkpoint move. */
export interface BatchChange<Doc> {
  /** Documents after the batch; null deletes. */
  readonly docs: ReadonlyMap<string, Doc | null>;
  readonly deadLetters: readonly DeadLetter[];
  /** The checkpoint this writer read; a different stored one means another writer moved it. */
  readonly expected: Checkpoint;
  readonly next: Checkpoint;
}

/**
 * Where a document projection's documents live. The engine loads a batch's documents, folds
 * them in memory and hands the result to `commit`, which makes documents and checkpoint durable
 * together (one transaction) or documents first and checkpoint after (no shared transaction).
 */
export interface DocumentSink<Doc> {
  ensureStorage(): Promise<void>;
  load(keys: readonly string[]): Promise<Map<string, Doc>>;
  commit(change: BatchChange<Doc>): Promise<void>;
}
