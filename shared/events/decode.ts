import type { z } from 'zod';
import { type AsIsCheck, asIsCheck } from './as-is-check.ts';
import type { Contract } from './contract.ts';
import { type Attributes, mediaType, readAttributes } from './envelope.ts';
import type { AnyEvent } from './event-type.ts';
import { binaryAttributes, contentMode, type MessageHeaders } from './nats-binding.ts';
import { PoisonEventError } from './poison-event.ts';
import { unstorable } from './storable.ts';
import type { Streams } from './streams.ts';
import { upcastChain } from './upcasters.ts';

export { type PoisonCode, PoisonEventError } from './poison-event.ts';

/** A message off a stream, as decodeEvent reads it. */
export interface IncomingMessage {
  readonly stream: string;
  readonly sequence: number;
  /** The NATS subject it was published on (namespaced). */
  readonly subject: string;
  readonly payload: Uint8Array;
  /** Its NATS headers, if any: a binary-mode event's attributes are there. */
  readonly headers?: MessageHeaders;
  /** When the broker stored it, in ms since the epoch: the event's time when its envelope has none. */
  readonly receivedAt: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

const asIsChecks = new WeakMap<z.ZodType, AsIsCheck | null>();

/**
 * `data` as its schema takes it: the parsed JSON itself where the schema would hand back an
 * equal copy of it (as-is-check.ts), else zod's parse, whose refusal makes it INVALID_DATA.
 */
function validData(schema: z.ZodType, data: unknown, type: string): unknown {
  let check = asIsChecks.get(schema);
  if (check === undefined) {
    check = asIsCheck(schema) ?? null;
    asIsChecks.set(schema, check);
  }
  if (check?.(data)) return data;
  const parsed = schema.safeParse(data);
  if (!parsed.success)
    throw new PoisonEventError(
      'INVALID_DATA',
      `invalid ${type} data: ${describe(parsed.error.issues)}`,
      type,
    );
  return parsed.data;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new PoisonEventError('INVALID_JSON', `${what}not UTF-8 JSON: ${(error as Error).message}`);
  }
}

/**
 * Bytes off a stream → a typed, current-version event. Throws PoisonEventError for anything
 * that fails the contract; never returns a half-valid event.
 *
 * The message is a CloudEvents 1.0 event in either content mode of the NATS binding. Its
 * `subject`, when present, must be the aggregate id the contract reads from its data, and the
 * NATS subject must be the one the type's subject shape gives for that id (SUBJECT_MISMATCH
 * otherwise). Without `time`, the event's time is the broker's receive time.
 *
 * @example
 * const event = decodeEvent(raw, contract, streams); // raw: a RawMessage off readOrdered
 * if (event.type === 'orders.order_placed.v1') console.log(event.data, event.time);
 */
export function decodeEvent(message: IncomingMessage, contract: Contract, streams: Streams): AnyEvent {
  const binary = contentMode(message.headers) === 'binary';
  let attributes: Attributes;
  let data: unknown;
  if (binary) {
    attributes = readAttributes(binaryAttributes(message.headers as MessageHeaders));
    data = binaryData(message.payload, attributes);
  } else {
    const json = parseJson(message.payload, '');
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new PoisonEventError('INVALID_ENVELOPE', 'not a CloudEvent: (root): must be a JSON object');
    attributes = readAttributes(json as Record<string, unknown>);
    data = structuredData(json as Record<string, unknown>, attributes);
  }
  const { type } = attributes;
  const eventType = contract.types.get(type);
  if (!eventType) throw new PoisonEventError('UNKNOWN_TYPE', `unknown event type ${type}`, type);
  if (eventType.stream !== message.stream) {
    throw new PoisonEventError(
      'WRONG_STREAM',
      `${type} belongs on ${eventType.stream}, found on ${message.stream}`,
      type,
    );
  }
  const valid = validData(eventType.schema, data, type);
  const aggregateId = eventType.aggregateId(valid);
  if (attributes.subject !== undefined && attributes.subject !== aggregateId) {
    throw new PoisonEventError(
      'SUBJECT_MISMATCH',
      `subject ${attributes.subject} is not the aggregate id ${aggregateId}`,
      type,
    );
  }
  const expected = streams.subjectOf(type, aggregateId);
  if (message.subject !== expected) {
    throw new PoisonEventError(
      'SUBJECT_MISMATCH',
      `NATS subject ${message.subject} is not ${expected}, the subject of ${type} about ${aggregateId}`,
      type,
    );
  }
  let current: { type: string; data: unknown };
  try {
    current = upcastChain(type, valid, contract.upcastersFrom);
  } catch (error) {
    throw new PoisonEventError('UPCAST_FAILED', `upcasting ${type}: ${(error as Error).message}`, type);
  }
  if (current.type !== type) {
    const upcast = contract.types.get(current.type)?.schema.safeParse(current.data);
    if (!upcast?.success) {
      throw new PoisonEventError(
        'UPCAST_FAILED',
        `upcast of ${type} to ${current.type} fails its schema: ${upcast ? describe(upcast.error.issues) : 'no such type'}`,
        type,
      );
    }
    current = { type: current.type, data: upcast.data };
  }
  // A schema can accept what no store holds (a NUL, an integer past 2^53); refused here, with
  // the field named, it is a dead letter instead of a batch that fails in PostgreSQL.
  const problem = unstorable(current.data);
  if (problem)
    throw new PoisonEventError('UNSTORABLE', `${current.type} data cannot be stored: ${problem}`, type);
  const event: { -readonly [K in keyof AnyEvent]: AnyEvent[K] } = {
    id: attributes.id,
    type: current.type,
    subject: aggregateId,
    source: attributes.source,
    time: attributes.time ?? new Date(message.receivedAt).toISOString(),
    data: current.data,
    stream: message.stream,
    sequence: message.sequence,
  };
  if (attributes.dataschema !== undefined) event.dataschema = attributes.dataschema;
  if (attributes.extensions !== undefined) event.extensions = attributes.extensions;
  return event;
}

/** Reads a `datacontenttype` as JSON or not; a value that is no media type is an INVALID_ENVELOPE. */
function dataFormat(attributes: Attributes) {
  const value = attributes.datacontenttype;
  if (value === undefined) return undefined;
  const media = mediaType(value);
  if (!media)
    throw new PoisonEventError(
      'INVALID_ENVELOPE',
      `not a CloudEvent: datacontenttype: ${value} is not a media type (RFC 2046)`,
      attributes.type,
    );
  if (!media.json)
    throw new PoisonEventError(
      'UNSUPPORTED_CONTENT_TYPE',
      `datacontenttype ${value}: Vista reads JSON data (application/json, or a type ending in +json)`,
      attributes.type,
    );
  return media;
}

/** `data` of a JSON-format event: the `data` member, or `data_base64` holding JSON bytes. */
function structuredData(json: Record<string, unknown>, attributes: Attributes): unknown {
  const media = dataFormat(attributes);
  const base64 = json.data_base64;
  if (base64 === undefined || base64 === null) return json.data;
  if (json.data !== undefined && json.data !== null)
    throw new PoisonEventError(
      'INVALID_ENVELOPE',
      'not a CloudEvent: data and data_base64 are both present (only one may be)',
      attributes.type,
    );
  if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw new PoisonEventError(
      'INVALID_ENVELOPE',
      'not a CloudEvent: data_base64: not Base64',
      attributes.type,
    );
  // Without a datacontenttype, binary data has no known format (the JSON event format, §3.1.2).
  if (!media)
    throw new PoisonEventError(
      'UNSUPPORTED_CONTENT_TYPE',
      'data_base64 without a datacontenttype: Vista reads JSON data only',
      attributes.type,
    );
  return utf8Json(Buffer.from(base64, 'base64'), media.charset, attributes.type, 'data_base64 is ');
}

/** `data` of a binary-mode event: the message body, JSON unless its datacontenttype says otherwise. */
function binaryData(body: Uint8Array, attributes: Attributes): unknown {
  const media = dataFormat(attributes);
  if (body.byteLength === 0) return undefined;
  return utf8Json(body, media?.charset, attributes.type, 'the body (binary mode) is ');
}

function utf8Json(bytes: Uint8Array, charset: string | undefined, type: string, what: string): unknown {
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw new PoisonEventError(
      'UNSUPPORTED_CONTENT_TYPE',
      `charset ${charset}: Vista reads JSON data in UTF-8`,
      type,
    );
  try {
    return parseJson(bytes, what);
  } catch (error) {
    if (error instanceof PoisonEventError) throw new PoisonEventError(error.code, error.message, type);
    throw error;
  }
}
