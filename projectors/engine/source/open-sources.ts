import type { JetStreamClient } from '@nats-io/jetstream';
import type { PullBudget } from '../../../shared/clients/pull-budget.ts';
import type { Streams } from '../../../shared/events/streams.ts';
import type { Logger } from '../../../shared/log.ts';
import type { Source } from '../definition/define.ts';
import { Batcher, type BatchLimits } from './batcher.ts';
import { type RawMessage, readOrdered } from './ordered-source.ts';

/** What reading a projection's sources needs. */
export interface SourceDeps {
  readonly js: JetStreamClient;
  readonly streams: Streams;
  readonly batch: BatchLimits;
  /** The NATS connection's pull budget, shared by the stream readers of every projection. */
  readonly pullBudget: PullBudget;
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
  const batcher = new Batcher<RawMessage>(
    { items: deps.batch.maxSize * 4, bytes: deps.batch.maxBytes * 2 },
    deps.batch,
    (message) => message.payload.byteLength,
  );
  const pumps = sources.map(async (source) => {
    try {
      for await (const message of readOrdered(
        deps.js,
        deps.streams,
        source,
        positions[source.stream] ?? 0,
        reading.signal,
        { budget: deps.pullBudget, log },
      )) {
        if (!batcher.offer(message)) await batcher.push(message, reading.signal);
        if (reading.signal.aborted) break;
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
