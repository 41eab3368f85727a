import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { type OutgoingEvent, publishEvent } from './publish.ts';
import type { Streams } from './streams.ts';

export interface PublishReport {
  readonly published: number;
  /** Highest sequence acknowledged per stream: what a reader waits for to see everything. */
  readonly lastSequence: Partial<Record<string, number>>;
}

/**
 * Publishes events with up to `window` acknowledgements outstanding: asynchronous acks keep
 * the connection full, while the bound keeps memory flat. Events of one stream keep their
 * order because they share one connection.
 */
export async function publishMany(
  js: JetStreamClient,
  streams: Streams,
  events: Iterable<OutgoingEvent>,
  options: { window?: number; onProgress?: (published: number) => void } = {},
): Promise<PublishReport> {
  const window = options.window ?? 2000;
  const lastSequence: Partial<Record<string, number>> = {};
  const inFlight = new Set<Promise<void>>();
  let published = 0;
  let failure: unknown;
  for (const event of events) {
    if (failure) break;
    const stream = event.eventType.stream;
    const ack: Promise<void> = publishEvent(js, streams, event).then(
      (pubAck: PubAck) => {
        lastSequence[stream] = Math.max(lastSequence[stream] ?? 0, pubAck.seq);
        published++;
        inFlight.delete(ack);
        if (published % 10_000 === 0) options.onProgress?.(published);
      },
      (error: unknown) => {
        failure ??= error;
        inFlight.delete(ack);
      },
    );
    inFlight.add(ack);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { published, lastSequence };
}
