import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { z } from 'zod';
import { traceHeaders, tracer } from '../tracing.ts';
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
 * `ack.stream` and `ack.seq` are what a client passes back for read-your-writes. With tracing
 * on, a producer span covers the publish and its W3C `traceparent` travels in the message's
 * NATS headers (the CloudEvents distributed-tracing extension), for the projectors to link to.
 */
export async function publishEvent(
  js: JetStreamClient,
  streams: Streams,
  event: OutgoingEvent,
): Promise<PubAck> {
  const envelope = toEnvelope(event);
  const subject = streams.subjectOf(envelope.type, envelope.subject);
  const span = tracer().startSpan(`publish ${envelope.type}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'nats',
      'messaging.destination.name': subject,
      'messaging.message.id': envelope.id,
      'cloudevents.event_id': envelope.id,
      'cloudevents.event_type': envelope.type,
      'cloudevents.event_subject': envelope.subject,
    },
  });
  const trace = traceHeaders(span);
  const options: Parameters<JetStreamClient['publish']>[2] = { msgID: event.id };
  if (trace.traceparent) {
    const carried = headers();
    for (const [name, value] of Object.entries(trace)) carried.set(name, value);
    options.headers = carried;
  }
  try {
    const ack = await js.publish(subject, encoder.encode(JSON.stringify(envelope)), options);
    span.setAttributes({ 'vista.stream': ack.stream, 'vista.sequence': ack.seq });
    return ack;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
