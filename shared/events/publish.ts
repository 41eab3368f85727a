import { type JetStreamClient, type PubAck, PubHeaders } from '@nats-io/jetstream';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { z } from 'zod';
import { traceHeaders, tracer } from '../tracing.ts';
import { ackedPublisherFor } from './acked-publisher.ts';
import type { Envelope } from './envelope.ts';
import type { EventType } from './event-type.ts';
import { STRUCTURED_CONTENT_TYPE } from './nats-binding.ts';
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
 * How long a publish is retried after it timed out or lost its connection. Retries resend the
 * same `Nats-Msg-Id`, so one the broker stored before its acknowledgement was lost is dropped
 * as a duplicate: this bound must stay below the streams' duplicate window (120 s unless a
 * stream says otherwise), beyond which a retry could store an event twice.
 */
export const DEFAULT_PUBLISH_RETRY_MS = 60_000;

/** JetStream's code for a publish refused because the stream's last message is not the one expected. */
export const WRONG_LAST_MSG_ID = 10070;

/**
 * A publish failure worth retrying: a timeout, a lost connection. A refusal by JetStream (a
 * message too large, an unexpected predecessor) or a connection closed for good is not, nor is
 * a subject nothing answers: nats.js's JetStream client and `AckedPublisher` report that as
 * `JetStreamNotEnabled`, which a broker whose JetStream is not up yet answers too, but so does
 * a subject no stream takes. (`NoRespondersError` counts for a caller's own error of that name.)
 */
export function retryablePublishError(error: unknown): boolean {
  const { name } = (error ?? {}) as { name?: unknown };
  return (
    name === 'TimeoutError' ||
    name === 'RequestError' ||
    name === 'NoRespondersError' ||
    name === 'ConnectionError'
  );
}

/** A publish refused because the stream's last message is not the expected predecessor. */
export function wrongPredecessor(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'JetStreamApiError' && code === WRONG_LAST_MSG_ID;
}

/** The wait before retry number `attempt` (1, 2, …): 100 ms doubling up to 2 s, with jitter. */
export function publishBackoffMs(attempt: number): number {
  const ceiling = Math.min(2000, 100 * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export interface PublishOptions {
  /** How long to go on retrying after the first failure; 0: no retry. */
  readonly retryForMs?: number;
  /** The id of the event that must be the stream's last one (publishMany's per-stream chain). */
  readonly expectLastId?: string;
}

/**
 * One attempt: the envelope on its subject (as its type's subject shape gives it), in
 * structured mode (`Content-Type: application/cloudevents+json`), with its id as
 * `Nats-Msg-Id`. With tracing on, a producer span covers the publish and its W3C
 * `traceparent` travels in the message's NATS headers (the CloudEvents distributed-tracing
 * extension), for the projectors to link to.
 */
export async function publishOnce(
  js: JetStreamClient,
  streams: Streams,
  event: OutgoingEvent,
  expectLastId?: string,
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
  // The binding reads a message without this header as binary mode: saying so keeps every
  // CloudEvents consumer, not only Vista, reading the payload as the JSON event format.
  const carried = headers();
  carried.set('Content-Type', STRUCTURED_CONTENT_TYPE);
  for (const [name, value] of Object.entries(trace)) carried.set(name, value);
  try {
    const payload = encoder.encode(JSON.stringify(envelope));
    const ack = await publishAcked(js, subject, payload, carried, event.id, expectLastId);
    span.setAttributes({ 'vista.stream': ack.stream, 'vista.sequence': ack.seq });
    return ack;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** One JetStream publish with its id and expected predecessor, through `AckedPublisher` when it can. */
function publishAcked(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  carried: MsgHdrs,
  id: string,
  expectLastId: string | undefined,
): Promise<PubAck> {
  const publisher = ackedPublisherFor(js);
  if (publisher === null) {
    const expect = expectLastId === undefined ? undefined : { lastMsgID: expectLastId };
    return js.publish(subject, payload, { msgID: id, headers: carried, expect });
  }
  carried.set(PubHeaders.MsgIdHdr, id);
  if (expectLastId !== undefined) carried.set(PubHeaders.ExpectedLastMsgIdHdr, expectLastId);
  return publisher.publish(subject, payload, carried);
}

/**
 * Publishes one event through the public contract and returns JetStream's acknowledgement:
 * `ack.stream` and `ack.seq` are what a client passes back for read-your-writes. A publish
 * that times out or loses its connection (a broker restarting) is retried with backoff for up
 * to `retryForMs` (DEFAULT_PUBLISH_RETRY_MS); a retry of an event already stored is answered
 * with the stored sequence (`ack.duplicate`), never stored twice.
 *
 * ```ts
 * const ack = await publishEvent(js, streams, { eventType: OrderPlaced, id, time, source, data });
 * await fetch(api, { headers: { 'x-vista-min-positions': `${ack.stream}=${ack.seq}` } });
 * ```
 */
export async function publishEvent(
  js: JetStreamClient,
  streams: Streams,
  event: OutgoingEvent,
  options: PublishOptions = {},
): Promise<PubAck> {
  const deadline = Date.now() + (options.retryForMs ?? DEFAULT_PUBLISH_RETRY_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await publishOnce(js, streams, event, options.expectLastId);
    } catch (error) {
      const wait = publishBackoffMs(attempt);
      if (!retryablePublishError(error) || Date.now() + wait > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
