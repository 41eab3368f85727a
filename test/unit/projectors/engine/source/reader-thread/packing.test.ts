import { describe, expect, it } from 'vitest';
import { HeaderBlock } from '../../../../../../projectors/engine/source/header-block.ts';
import type { RawMessage } from '../../../../../../projectors/engine/source/ordered-source.ts';
import {
  crossing,
  MessagePacker,
  unpack,
} from '../../../../../../projectors/engine/source/reader-thread/packing.ts';

const message = (sequence: number, payload: string, extra: Partial<RawMessage> = {}): RawMessage => ({
  stream: 'ORDERS',
  sequence,
  subject: `orders.order_placed.o-${sequence}`,
  payload: new TextEncoder().encode(payload),
  pending: 1000 - sequence,
  receivedAt: 1_767_225_600_123.456 + sequence,
  headers: undefined,
  traceparent: undefined,
  ...extra,
});

describe('packing messages for the main thread', () => {
  it('unpacks what was packed: payloads byte for byte, numbers exact, headers and traceparent as sent', () => {
    const messages = [
      message(1, '{"a":1}'),
      message(2, ''),
      message(2 ** 53 - 1, '{"nul":"\\u0000","é":"😀"}', {
        headers: [
          ['ce-type', ['orders.order_placed.v1']],
          ['X-Twice', ['a', 'b']],
        ],
        traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      }),
      message(4, '{}', {
        headers: new HeaderBlock('NATS/1.0\r\nce-type: t\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n'),
      }),
    ];
    const packer = new MessagePacker('ORDERS');
    for (const m of messages) packer.add(m);
    expect(packer.count).toBe(4);
    const { packed, transfer } = packer.pack();
    expect(packer.count).toBe(0);
    expect(packer.bytes).toBe(0);
    expect(transfer).toContain(packed.bytes.buffer);
    // What crosses the thread is what a structured clone keeps.
    const unpacked = unpack(structuredClone(packed));
    expect(unpacked.map((m) => ({ ...m, payload: Buffer.from(m.payload).toString() }))).toEqual(
      messages.map((m) => ({ ...m, payload: Buffer.from(m.payload).toString() })),
    );
    // A block crosses as its text and is a block again, read as the list beside it is.
    expect(packed.headers[3]).toBe('NATS/1.0\r\nce-type: t\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n');
    expect(unpacked[3]?.headers).toBeInstanceOf(HeaderBlock);
    expect([...(unpacked[3]?.headers ?? [])]).toEqual([
      ['ce-type', ['t']],
      ['X-Twice', ['a', 'b']],
    ]);
  });

  it('packs nothing into an empty handover', () => {
    const { packed } = new MessagePacker('ORDERS').pack();
    expect(unpack(packed)).toEqual([]);
  });

  it('keeps what tells an error apart across the thread: its name, message, code and statuses', () => {
    const error = Object.assign(new Error('JetStream system temporarily unavailable'), {
      name: 'JetStreamApiError',
      status: 503,
      code: '10008',
    });
    expect(structuredClone(crossing(error))).toEqual({
      name: 'JetStreamApiError',
      message: 'JetStream system temporarily unavailable',
      code: '10008',
      status: 503,
      statusCode: undefined,
    });
    expect(crossing('text')).toEqual({ name: 'Error', message: 'text' });
  });
});
