import type { StreamAddress } from '../ordered-source.ts';
import type { CrossingError, PackedMessages } from './packing.ts';

/** What a reader thread is started with. */
export interface ReaderThreadOptions {
  readonly natsUrl: string;
  /** PULL_BUDGET_BYTES: the thread's connection has the budget a projector's connection has. */
  readonly pullBudgetBytes: number;
  readonly logLevel: string;
}

/**
 * How far a reader may run ahead of the main thread: messages handed over and not yet taken by
 * the projection's batcher. Past either bound it waits for credit, as a reader on the main thread
 * waits for room in the batcher.
 */
export interface ReadWindow {
  readonly items: number;
  readonly bytes: number;
}

/** From the main thread to the reader thread. */
export type ToReader =
  | {
      readonly kind: 'open';
      readonly id: number;
      readonly address: StreamAddress;
      readonly afterSequence: number;
      readonly window: ReadWindow;
    }
  /** The main thread took these from the reader's messages: it may hand over as many more. */
  | { readonly kind: 'credit'; readonly id: number; readonly items: number; readonly bytes: number }
  | { readonly kind: 'close'; readonly id: number }
  | { readonly kind: 'shutdown' };

/** From the reader thread to the main thread. */
export type FromReader =
  | { readonly kind: 'messages'; readonly id: number; readonly packed: PackedMessages }
  /** The reader failed (after the messages it handed over before): the projection restarts its sources. */
  | { readonly kind: 'failed'; readonly id: number; readonly error: CrossingError }
  /** The reader stopped and its consumer is gone: nothing more comes for `id`. */
  | { readonly kind: 'closed'; readonly id: number };
