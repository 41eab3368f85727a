import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { shop } from '../../../../examples/shop/contract.ts';
import { type Contract, defineContract } from '../../../../shared/events/contract.ts';
import { decodeEvent, type IncomingMessage, PoisonEventError } from '../../../../shared/events/decode.ts';
import type { EventType } from '../../../../shared/events/event-type.ts';
import { eventType } from '../../../../shared/events/event-type.ts';
import { binaryHeaders } from '../../../../shared/events/nats-binding.ts';
import { type Streams, streamsFor } from '../../../../shared/events/streams.ts';
import { upcastChain, upcaster } from '../../../../shared/events/upcasters.ts';

const encode = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

const shopStreams = streamsFor(shop, '');
const RECEIVED_AT = Date.parse('2026-03-04T05:06:07.089Z');

/**
 * A message as the stream reader hands it on: on the subject its envelope's type and
 * aggregate id give (unless `subject` says otherwise), stored at RECEIVED_AT.
 */
function message(
  payload: Uint8Array,
  stream: string,
  sequence = 1,
  options: { subject?: string; headers?: Record<string, string | string[]>; streams?: Streams } = {},
): IncomingMessage {
  let subject = options.subject;
  if (subject === undefined) {
    let json: { type?: unknown; subject?: unknown } = {};
    try {
      json = JSON.parse(new TextDecoder().decode(payload));
    } catch {}
    const type = typeof json?.type === 'string' ? json.type : 'x.y.v1';
    const id = typeof json?.subject === 'string' ? json.subject : 'o1';
    subject = (options.streams ?? shopStreams).subjectOf(type, id);
  }
  const headers = options.headers
    ? new Map(Object.entries(options.headers).map(([k, v]) => [k, Array.isArray(v) ? v : [v]] as const))
    : undefined;
  return { stream, sequence, subject, payload, receivedAt: RECEIVED_AT, ...(headers ? { headers } : {}) };
}

const decode = (
  payload: Uint8Array,
  stream: string,
  sequence = 1,
  contract: Contract = shop,
  streams: Streams = shopStreams,
) => decodeEvent(message(payload, stream, sequence, { streams }), contract, streams);

const envelope = (type: string, data: unknown, subject = 'o1') => ({
  specversion: '1.0',
  id: 'evt-1',
  source: '/orders',
  type,
  subject,
  time: '2026-01-01T00:00:00.000Z',
  datacontenttype: 'application/json',
  data,
});

const placed = {
  orderId: 'o1',
  customerId: 'c1',
  lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 100 }],
};

/** The poison code decoding `input` throws (a payload on its own subject, or a whole message), or 'decoded'. */
function poisonCode(input: Uint8Array | IncomingMessage, stream: 'ORDERS' | 'CATALOG' = 'ORDERS'): string {
  return poisonOf(input, stream)?.code ?? 'decoded';
}

function poisonOf(
  input: Uint8Array | IncomingMessage,
  stream = 'ORDERS',
  contract: Contract = shop,
  streams: Streams = shopStreams,
) {
  try {
    decodeEvent(
      input instanceof Uint8Array ? message(input, stream, 1, { streams }) : input,
      contract,
      streams,
    );
  } catch (error) {
    if (error instanceof PoisonEventError) return error;
    throw error;
  }
  return undefined;
}

describe('decodeEvent', () => {
  it('decodes a valid event with its position', () => {
    const event = decode(encode(envelope('orders.order_placed.v1', placed)), 'ORDERS', 42);
    expect(event).toMatchObject({
      type: 'orders.order_placed.v1',
      data: placed,
      stream: 'ORDERS',
      sequence: 42,
    });
  });

  it.each([
    ['invalid JSON', encode('{"specversion":'), 'INVALID_JSON'],
    ['invalid UTF-8', new Uint8Array([0xff, 0xfe, 0x7b]), 'INVALID_JSON'],
    [
      'a missing envelope field',
      encode({ ...envelope('orders.order_placed.v1', placed), id: undefined }),
      'INVALID_ENVELOPE',
    ],
    ['an unknown type', encode(envelope('orders.order_teleported.v1', placed)), 'UNKNOWN_TYPE'],
    [
      'a wrong field type',
      encode(envelope('orders.order_placed.v1', { ...placed, lines: 'many' })),
      'INVALID_DATA',
    ],
    [
      'a negative quantity',
      encode(
        envelope('orders.order_placed.v1', {
          ...placed,
          lines: [{ productId: 'p', quantity: -1, unitPriceCents: 1 }],
        }),
      ),
      'INVALID_DATA',
    ],
    [
      'a subject that is not the aggregate id',
      encode(envelope('orders.order_placed.v1', placed, 'o2')),
      'SUBJECT_MISMATCH',
    ],
  ])('rejects %s as poison', (_, payload, code) => {
    expect(poisonCode(payload)).toBe(code);
  });

  it('rejects an event published on another context’s stream', () => {
    expect(poisonCode(encode(envelope('orders.order_placed.v1', placed)), 'CATALOG')).toBe('WRONG_STREAM');
  });

  it.each([
    ['2026-01-01T01:00:00+02:00', '2025-12-31T23:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('normalises the time %s to UTC', (time, utc) => {
    const payload = encode({ ...envelope('orders.order_placed.v1', placed), time });
    expect(decode(payload, 'ORDERS').time).toBe(utc);
  });

  // A contract as loose as a team might write it: any string, any number (zod's int() would
  // refuse unsafe integers itself).
  const Noted = eventType({
    type: 'notes.noted.v1',
    stream: 'NOTES',
    schema: z.object({ noteId: z.string(), text: z.string(), count: z.number() }),
    aggregateId: (d) => d.noteId,
  });
  const loose = defineContract({ streams: [{ name: 'NOTES', subjects: 'notes.>' }], events: [Noted] });
  it.each([
    ['a NUL in a string field', { noteId: 'n1', text: 'a\u0000b', count: 1 }, /text/],
    ['an integer past 2^53', { noteId: 'n1', text: 'a', count: 2 ** 53 + 2 }, /count/],
    ['an integer below -(2^53)', { noteId: 'n1', text: 'a', count: -(2 ** 60) }, /count/],
  ])('refuses %s that the schema accepts but no store holds, naming the field', (_, data, field) => {
    const payload = encode(envelope('notes.noted.v1', data, 'n1'));
    const looseStreams = streamsFor(loose, '');
    const attempt = () => decode(payload, 'NOTES', 1, loose, looseStreams);
    expect(attempt).toThrow(PoisonEventError);
    expect(attempt).toThrow(field);
    expect(poisonOf(payload, 'NOTES', loose, looseStreams)?.code).toBe('UNSTORABLE');
  });

  it.each([
    ['year 0', { time: '0000-01-01T00:00:00Z' }],
    ['year 0 once in UTC', { time: '0001-01-01T00:30:00+01:00' }],
    ['past 9999 once in UTC', { time: '9999-12-31T23:59:59-01:00' }],
    ['a time without a zone', { time: '2026-01-01T00:00:00' }],
    ['a NUL in the id', { id: 'a\u0000b' }],
    ['a NUL in the source', { source: '/x\u0000' }],
  ])('refuses %s in the envelope', (_, change) => {
    expect(poisonCode(encode({ ...envelope('orders.order_placed.v1', placed), ...change }))).toBe(
      'INVALID_ENVELOPE',
    );
  });
});

describe('CloudEvents 1.0 as the spec defines them (structured mode)', () => {
  const base = envelope('orders.order_placed.v1', placed);
  const without = (...names: string[]) =>
    Object.fromEntries(Object.entries(base).filter(([name]) => !names.includes(name)));

  it('takes the broker’s receive time for an event without `time`', () => {
    expect(decode(encode(without('time')), 'ORDERS').time).toBe('2026-03-04T05:06:07.089Z');
    expect(decode(encode({ ...base, time: null }), 'ORDERS').time).toBe('2026-03-04T05:06:07.089Z');
  });

  it.each([
    ['absent', undefined],
    ['with parameters', 'application/json; charset=utf-8'],
    ['in another case', 'Application/JSON;Charset="UTF-8"'],
    ['a +json type', 'application/vnd.shop.order+json'],
  ])('reads JSON data whose datacontenttype is %s', (_, datacontenttype) => {
    const event = { ...without('datacontenttype'), ...(datacontenttype ? { datacontenttype } : {}) };
    expect(decode(encode(event), 'ORDERS').data).toEqual(placed);
  });

  it('keeps extension attributes and dataschema on the decoded event', () => {
    const event = decode(
      encode({
        ...base,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        partitionkey: 'c1',
        priority: 3,
        replayed: false,
        dataschema: 'https://schemas.example.com/order-placed/1',
        nothing: null,
      }),
      'ORDERS',
    );
    expect(event.extensions).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      partitionkey: 'c1',
      priority: 3,
      replayed: false,
    });
    expect(event.dataschema).toBe('https://schemas.example.com/order-placed/1');
    expect(decode(encode(base), 'ORDERS')).not.toHaveProperty('extensions');
  });

  it('takes the aggregate id as the subject of an event without `subject`', () => {
    const event = decode(encode(without('subject')), 'ORDERS');
    expect(event.subject).toBe('o1');
  });

  it('reads JSON data sent as data_base64', () => {
    const data_base64 = Buffer.from(JSON.stringify(placed)).toString('base64');
    expect(decode(encode({ ...without('data'), data_base64 }), 'ORDERS').data).toEqual(placed);
  });

  it.each([
    ['2026-01-01t01:00:00z', '2026-01-01T01:00:00.000Z'],
    ['2026-01-01T01:00:00.123456789+01:00', '2026-01-01T00:00:00.123Z'],
  ])('accepts the RFC 3339 time %s', (time, utc) => {
    expect(decode(encode({ ...base, time }), 'ORDERS').time).toBe(utc);
  });

  it.each([
    ['specversion 0.3', { specversion: '0.3' }, /specversion: must be "1\.0", got "0\.3"/],
    ['an empty source', { source: '' }, /source: must not be empty/],
    ['a control character in the id', { id: 'a\u0007b' }, /id: contains the control character U\+0007/],
    ['a lone surrogate in the subject', { subject: 'o\ud800' }, /subject: contains a lone surrogate/],
    ['a time without seconds', { time: '2026-01-01T00:00Z' }, /time: must be an RFC 3339 date-time/],
    ['a day that does not exist', { time: '2026-02-30T00:00:00Z' }, /time: day 2026-02-30 does not exist/],
    ['an upper-case extension name', { traceParent: 'x' }, /traceParent: attribute names are lower-case/],
    ['an extension that is an object', { meta: { a: 1 } }, /meta: must be a string, a boolean or an integer/],
    ['an extension that is no integer', { weight: 1.5 }, /weight: 1\.5 is no CloudEvents Integer/],
    [
      'a datacontenttype that is no media type',
      { datacontenttype: 'json' },
      /datacontenttype: json is not a media type/,
    ],
    ['both data and data_base64', { data_base64: 'e30=' }, /data and data_base64 are both present/],
    ['a JSON array', null, /\(root\): must be a JSON object/],
  ])('refuses %s as INVALID_ENVELOPE, naming it', (_, change, message) => {
    const error = poisonOf(encode(change === null ? [base] : { ...base, ...change }));
    expect(error?.code).toBe('INVALID_ENVELOPE');
    expect(error?.message).toMatch(message);
  });

  it('names every problem of an envelope at once', () => {
    const error = poisonOf(encode({ ...without('id'), time: 'yesterday', source: 7 }));
    expect(error?.code).toBe('INVALID_ENVELOPE');
    expect(error?.message).toMatch(/id: required.*source: must be a string, got a number.*time: must be/);
    expect(error?.eventType).toBe('orders.order_placed.v1');
  });

  it('refuses data that is not JSON as UNSUPPORTED_CONTENT_TYPE', () => {
    expect(poisonOf(encode({ ...base, datacontenttype: 'text/plain', data: 'hello' }))?.message).toMatch(
      /datacontenttype text\/plain: Vista reads JSON data/,
    );
    expect(poisonCode(encode({ ...without('data', 'datacontenttype'), data_base64: 'e30=' }))).toBe(
      'UNSUPPORTED_CONTENT_TYPE',
    );
  });

  it('reads a type outside the contract’s naming as an unknown type, not a broken envelope', () => {
    expect(poisonCode(encode({ ...base, type: 'com.example.order.placed' }))).toBe('UNKNOWN_TYPE');
  });

  it.each([
    ['application/cloudevents+json; charset=utf-8', 'decoded'],
    ['application/cloudevents+avro', 'UNSUPPORTED_CONTENT_TYPE'],
    ['application/cloudevents-batch+json', 'UNSUPPORTED_CONTENT_TYPE'],
  ])('reads the Content-Type header %s', (contentType, code) => {
    const headers = { 'Content-Type': contentType, 'Nats-Msg-Id': 'evt-1' };
    expect(poisonCode(message(encode(base), 'ORDERS', 1, { headers }))).toBe(code);
  });
});

describe('the subject rule', () => {
  const base = envelope('orders.order_placed.v1', placed);

  it('refuses an event whose NATS subject is not the one its type and aggregate id give, naming both', () => {
    const error = poisonOf(message(encode(base), 'ORDERS', 1, { subject: 'orders.order_placed.o2' }));
    expect(error?.code).toBe('SUBJECT_MISMATCH');
    expect(error?.message).toBe(
      'NATS subject orders.order_placed.o2 is not orders.order_placed.o1, the subject of orders.order_placed.v1 about o1',
    );
    const elsewhere = message(encode(base), 'ORDERS', 1, { subject: 'orders.order_shipped.o1' });
    expect(poisonCode(elsewhere)).toBe('SUBJECT_MISMATCH');
  });

  it('checks the NATS subject without its subject too', () => {
    const { subject: _, ...anonymous } = base;
    expect(poisonCode(message(encode(anonymous), 'ORDERS', 1, { subject: 'orders.order_placed.o9' }))).toBe(
      'SUBJECT_MISMATCH',
    );
  });

  it('expects the namespace of the installation in front of the subject', () => {
    const namespaced = streamsFor(shop, 't1a2b');
    const payload = encode(base);
    const at = (subject: string) => message(payload, 'ORDERS', 1, { subject });
    expect(decodeEvent(at('t1a2b.orders.order_placed.o1'), shop, namespaced).subject).toBe('o1');
    expect(poisonOf(at('orders.order_placed.o1'), 'ORDERS', shop, namespaced)?.code).toBe('SUBJECT_MISMATCH');
  });

  it('follows the subject shape a contract declares', () => {
    const Deposited = eventType({
      type: 'bank.deposited.v1',
      stream: 'BANK',
      schema: z.object({ accountId: z.string(), amountCents: z.number().int() }),
      aggregateId: (d) => d.accountId,
    });
    const bank = defineContract({
      streams: [{ name: 'BANK', subjects: 'bank.v1.>', subjectShape: 'bank.v1.{aggregateId}.{event}' }],
      events: [Deposited],
    });
    const bankStreams = streamsFor(bank, '');
    const payload = encode(envelope('bank.deposited.v1', { accountId: 'a-1', amountCents: 5 }, 'a-1'));
    const at = (subject: string) => message(payload, 'BANK', 1, { subject });
    expect(decodeEvent(at('bank.v1.a-1.deposited'), bank, bankStreams).data).toEqual({
      accountId: 'a-1',
      amountCents: 5,
    });
    expect(poisonOf(at('bank.deposited.a-1'), 'BANK', bank, bankStreams)?.message).toMatch(
      /bank\.deposited\.a-1 is not bank\.v1\.a-1\.deposited/,
    );
  });
});

describe('binary mode (CloudEvents NATS binding: attributes as ce- headers, data as the body)', () => {
  const attributes = {
    specversion: '1.0',
    id: 'evt-1',
    source: '/orders service/é',
    type: 'orders.order_placed.v1',
    subject: 'o1',
    time: '2026-01-01T00:00:00Z',
    datacontenttype: 'application/json',
  };
  const binary = (headers: Record<string, string | string[]>, body: unknown = placed) =>
    message(encode(body), 'ORDERS', 7, { subject: 'orders.order_placed.o1', headers });

  it('decodes an event from its headers and body, as the structured one', () => {
    const headers: Record<string, string> = {
      ...binaryHeaders({ ...attributes, priority: 2 }),
      'Nats-Msg-Id': 'evt-1',
    };
    expect(headers['ce-source']).toBe('/orders%20service/%C3%A9');
    const event = decodeEvent(binary(headers), shop, shopStreams);
    expect(event).toEqual({
      id: 'evt-1',
      type: 'orders.order_placed.v1',
      subject: 'o1',
      source: '/orders service/é',
      time: '2026-01-01T00:00:00.000Z',
      data: placed,
      stream: 'ORDERS',
      sequence: 7,
      // Headers carry strings only: an extension's type is not known from them.
      extensions: { priority: '2' },
    });
  });

  it('reads header names in any case, quoted values, and takes the broker’s time when there is no ce-time', () => {
    const { time: _, ...rest } = attributes;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(binaryHeaders(rest))) headers[name.toUpperCase()] = value;
    headers['CE-ID'] = '"evt-\\"1\\""';
    const event = decodeEvent(binary(headers), shop, shopStreams);
    expect(event.id).toBe('evt-"1"');
    expect(event.time).toBe('2026-03-04T05:06:07.089Z');
  });

  it.each([
    ['a missing ce-type', { 'ce-type': undefined }, 'INVALID_ENVELOPE', /type: required/],
    [
      'an overlong UTF-8 encoding',
      { 'ce-id': 'a%C0%A0' },
      'INVALID_ENVELOPE',
      /id: header ce-id is not validly/,
    ],
    ['an attribute given twice', { 'Ce-Id': 'evt-2' }, 'INVALID_ENVELOPE', /id: given more than once/],
    [
      'a body that is not JSON',
      { body: '{nope' },
      'INVALID_JSON',
      /the body \(binary mode\) is not UTF-8 JSON/,
    ],
    [
      'data that is not JSON',
      { 'ce-datacontenttype': 'text/plain' },
      'UNSUPPORTED_CONTENT_TYPE',
      /text\/plain/,
    ],
    [
      'JSON in another charset',
      { 'ce-datacontenttype': 'application/json; charset=iso-8859-1' },
      'UNSUPPORTED_CONTENT_TYPE',
      /charset iso-8859-1/,
    ],
  ])('refuses %s', (_, change, code, text) => {
    const { body, ...headerChanges } = change as Record<string, string | undefined>;
    const headers: Record<string, string> = { ...binaryHeaders(attributes) };
    for (const [name, value] of Object.entries(headerChanges)) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    const raw = body === undefined ? encode(placed) : encode(body);
    const error = poisonOf(message(raw, 'ORDERS', 1, { subject: 'orders.order_placed.o1', headers }));
    expect(error?.code).toBe(code);
    expect(error?.message).toMatch(text);
  });

  it('reads a message whose Content-Type is application/cloudevents+json as structured, ce- headers or not', () => {
    const headers = { 'content-type': 'application/cloudevents+json', 'ce-id': 'other' };
    const event = decodeEvent(
      message(encode(envelope('orders.order_placed.v1', placed)), 'ORDERS', 1, { headers }),
      shop,
      shopStreams,
    );
    expect(event.id).toBe('evt-1');
  });
});

describe('upcasting', () => {
  const v1 = {
    productId: 'p1',
    sku: 'SKU-1',
    name: 'Kettle',
    description: 'A quiet kettle',
    category: 'kitchen',
    priceCents: 2500,
  };

  it('turns a product_added.v1 into v2 with empty tags', () => {
    const event = decode(encode(envelope('catalog.product_added.v1', v1, 'p1')), 'CATALOG');
    expect(event.type).toBe('catalog.product_added.v2');
    expect(event.data).toEqual({ ...v1, tags: [] });
  });

  it('leaves a v2 event as it is', () => {
    const v2 = { ...v1, tags: ['quiet'] };
    const event = decode(encode(envelope('catalog.product_added.v2', v2, 'p1')), 'CATALOG');
    expect(event.data).toEqual(v2);
  });

  it('refuses a cycle of upcasters instead of looping', () => {
    const a = { type: 'x.a.v1' } as EventType;
    const b = { type: 'x.a.v2' } as EventType;
    const cycle = new Map([
      [a.type, upcaster(a, b, (d) => d)],
      [b.type, upcaster(b, a, (d) => d)],
    ]);
    expect(() => upcastChain('x.a.v1', {}, cycle)).toThrow(/cycle/);
  });

  it('names the field an upcast gets wrong (UPCAST_FAILED)', () => {
    const V1 = eventType({
      type: 'notes.noted.v1',
      stream: 'NOTES',
      schema: z.object({ noteId: z.string() }),
      aggregateId: (d) => d.noteId,
    });
    const V2 = eventType({
      type: 'notes.noted.v2',
      stream: 'NOTES',
      schema: z.object({ noteId: z.string(), tags: z.array(z.string()) }),
      aggregateId: (d) => d.noteId,
    });
    const notes = defineContract({
      streams: [{ name: 'NOTES', subjects: 'notes.>' }],
      events: [V2],
      legacy: [V1],
      upcasters: [upcaster(V1, V2, (d) => ({ ...d, tags: 'none' }) as never)],
    });
    const error = poisonOf(
      encode(envelope('notes.noted.v1', { noteId: 'n1' }, 'n1')),
      'NOTES',
      notes,
      streamsFor(notes, ''),
    );
    expect(error?.code).toBe('UPCAST_FAILED');
    expect(error?.message).toMatch(
      /^upcast of notes\.noted\.v1 to notes\.noted\.v2 fails its schema: tags: /,
    );
  });
});
