import type { PullBudget } from '../../../shared/clients/pull-budget.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { Logger } from '../../../shared/log.ts';
import type { Source } from '../definition/define.ts';
import { Backlog } from './backlog.ts';
import { Batcher, type BatchLimits } from './batcher.ts';
import { addressOf, type RawMessage, readOrderedAt, type StreamConnection } from './ordered-source.ts';
import type { ReaderThread } from './reader-thread/client.ts';

/** What reading a projection's sources needs. */
export interface SourceDeps {
  readonly nats: StreamConnection;
  readonly streams: Streams;
  readonly batch: BatchLimits;
  /** The NATS connection's pull budget, shared by the stream readers of every projection. */
  readonly pullBudget: PullBudget;
  /** Where the readers run when not on this thread (READER_THREAD). */
  readonly readerThread?: ReaderThread;
}

/** A projection's sources being read: their messages, cut into batches, and how to stop reading. */
export interface OpenSources {
  readonly batcher: Batcher<RawMessage>;
  /** Stops every reader and waits until they are done. */
  close(): Promise<void>;
}

/**
 * Reads each source in order from its position into one bounded batcher, until `signal`
 * aborts or `close` is called. A reader that fails makes the batcher's next batch throw, so
 * the projection restarts its sources from the checkpoint.
 */
export function openSources(
  deps: SourceDeps,
  sources: readonly Source[],
  positions: Readonly<Partial<Record<string, number>>>,
  signal: AbortSignal,
  log: Logger,
): OpenSources {
  const reading = new AbortController();
  const stop = () => reading.abort();
  signal.addEventListener('abort', stop, { once: true });
  const backlog = new Backlog(sources.length);
  const batcher = new Batcher<RawMessage>(
    { items: deps.batch.maxSize * 4, bytes: deps.batch.maxBytes * 2 },
    deps.batch,
    (message) => message.payload.byteLength,
    () => backlog.drained,
  );
  // A reader thread runs at most two full batches ahead of what the batcher took, per source.
  const window = { items: deps.batch.maxSize * 2, bytes: deps.batch.maxBytes * 2 };
  const pumps = sources.map(async (source, index) => {
    const after = positions[source.stream] ?? 0;
    try {
      const address = addressOf(deps.streams, source);
      const runs = deps.readerThread
        ? deps.readerThread.read(address, after, reading.signal, window)
        : readOrderedAt(deps.nats, address, after, reading.signal, { budget: deps.pullBudget, log });
      read: for await (const messages of runs) {
        for (const message of messages) {
          backlog.note(index, message.pending);
          if (!batcher.offer(message)) await batcher.push(message, reading.signal);
          // A push ends unqueued on an abort: the rest of the run is not offered either.
          if (reading.signal.aborted) break read;
        }
      }
    } catch (error) {
      if (!reading.signal.aborted) batcher.fail(error as Error);
    }
  });
  return {
    batcher,
    close: async () => {
      signal.removeEventListener('abort', stop);
      reading.abort();
      await Promise.allSettled(pumps);
    },
  };
}
