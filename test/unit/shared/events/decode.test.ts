import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { shop } from '../../../../examples/shop/contract.ts';
import { defineContract } from '../../../../shared/events/contract.ts';
import { decodeEvent, PoisonEventError } from '../../../../shared/events/decode.ts';
import type { EventType } from '../../../../shared/events/event-type.ts';
import { eventType } from '../../../../shared/events/event-type.ts';
import { upcastChain, upcaster } from '../../../../shared/events/upcasters.ts';

const encode = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

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

function poisonCode(payload: Uint8Array, stream: 'ORDERS' | 'CATALOG' = 'ORDERS'): string {
  try {
    decodeEvent(payload, stream, 1, shop);
  } catch (error) {
    if (error instanceof PoisonEventError) return error.code;
    throw error;
  }
  return 'decoded';
}

describe('decodeEvent', () => {
  it('decodes a valid event with its position', () => {
    const event = decodeEvent(encode(envelope('orders.order_placed.v1', placed)), 'ORDERS', 42, shop);
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
    expect(decodeEvent(payload, 'ORDERS', 1, shop).time).toBe(utc);
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
    const decode = () => decodeEvent(payload, 'NOTES', 1, loose);
    expect(decode).toThrow(PoisonEventError);
    expect(decode).toThrow(field);
    try {
      decode();
    } catch (error) {
      expect((error as PoisonEventError).code).toBe('UNSTORABLE');
    }
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
    const event = decodeEvent(encode(envelope('catalog.product_added.v1', v1, 'p1')), 'CATALOG', 1, shop);
    expect(event.type).toBe('catalog.product_added.v2');
    expect(event.data).toEqual({ ...v1, tags: [] });
  });

  it('leaves a v2 event as it is', () => {
    const v2 = { ...v1, tags: ['quiet'] };
    const event = decodeEvent(encode(envelope('catalog.product_added.v2', v2, 'p1')), 'CATALOG', 1, shop);
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
});
