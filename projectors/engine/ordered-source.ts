import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { Streams } from '../../shared/events/streams.ts';
import type { Source } from './define.ts';

/** One message off a stream, not yet decoded. */
export interface RawMessage {
  readonly stream: string;
  readonly sequence: number;
  readonly subject: string;
  readonly payload: Uint8Array;
  /** Messages left in the stream (after this one) that match the filter: 0 means caught up. */
  readonly pending: number;
  /** The producer's W3C trace context from the message headers, when it sent one. */
  readonly traceparent?: string;
}

/**
 * Events of a stream are gone before a projection read them (a purge, an age or size limit,
 * a deleted message): the view would silently miss them. Nothing but a fresh history repairs it.
 */
export class StreamGapError extends Error {
  readonly code = 'STREAM_GAP';
}

/**
 * Reads one stream in order from `afterSequence + 1` with a JetStream ordered consumer: the
 * server keeps no durable state for us (the position lives with the read model), and a gap
 * or a lost consumer makes the client recreate it at the right sequence.
 */
export async function* readOrdered(
  js: JetStreamClient,
  streams: Streams,
  source: Source,
  afterSequence: number,
  signal: AbortSignal,
): AsyncGenerator<RawMessage> {
  const filter = source.filter
    ? `${streams.namespace ? `${streams.namespace}.` : ''}${source.filter}`
    : streams.subjects(source.stream);
  if (signal.aborted) return;
  const consumer = await js.consumers.get(streams.streamName(source.stream), {
    filter_subjects: filter,
    ...(afterSequence > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSequence + 1 }
      : { deliver_policy: DeliverPolicy.All }),
  });
  // Short pull expiries mean heartbeats every few seconds: a restarted server is noticed fast.
  const messages = await consumer.consume({ max_messages: 4096, expires: 5000 });
  const stop = () => void messages.close();
  // An abort while the consumer was being set up has fired already: a listener added now
  // would never run, and on a quiet stream the loop below would wait for the next message.
  // (Closing ends the iteration below; awaiting close() before iterating would never return.)
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  // Without a filter every sequence of the stream is ours: a skipped one is a lost event.
  let expected = source.filter ? undefined : afterSequence + 1;
  try {
    for await (const message of messages) {
      if (expected !== undefined) {
        if (message.seq !== expected) {
          throw new StreamGapError(
            `gap at ${source.stream} seq ${expected}: the stream went on at ${message.seq}`,
          );
        }
        expected++;
      }
      const traceparent = message.headers?.get('traceparent');
      yield {
        stream: source.stream,
        sequence: message.seq,
        subject: message.subject,
        payload: message.data,
        pending: message.info.pending,
        ...(traceparent ? { traceparent } : {}),
      };
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await messages.close();
  }
}
