import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { z } from 'zod';
import type { Envelope } from './envelope.ts';
import type { EventType } from './event-type.ts';
import type { Streams } from './streams.ts';

/** An event ready to publish: its type descriptor, payload, id and time. */
export interface OutgoingEvent<E extends EventType = EventType> {
  readonly eventType: E;
  readonly data: z.infer<E['schema']>;
  /** Unique; also the `Nats-Msg-Id`, so a re-publish within the duplicate window is dropped. */
  readonly id: string;
  readonly time: string;
  readonly source: string;
}

export function toEnvelope(event: OutgoingEvent): Envelope {
  return {
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: event.eventType.type,
    subject: event.eventType.aggregateId(event.data),
    time: event.time,
    datacontenttype: 'application/json',
    data: event.data,
  };
}

const encoder = new TextEncoder();

/**
 * Publishes one event through the public contract and returns JetStream's acknowledgement:
 * `ack.stream` and `ack.seq` are what a client passes back for read-your-writes.
 */
export function publishEvent(js: JetStreamClient, streams: Streams, event: OutgoingEvent): Promise<PubAck> {
  const envelope = toEnvelope(event);
  return js.publish(
    streams.subjectOf(envelope.type, envelope.subject),
    encoder.encode(JSON.stringify(envelope)),
    {
      msgID: event.id,
    },
  );
}
