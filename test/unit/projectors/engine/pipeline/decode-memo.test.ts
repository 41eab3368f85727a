import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import { DecodeMemo } from '../../../../../projectors/engine/pipeline/decode-memo.ts';
import type { RawMessage } from '../../../../../projectors/engine/source/ordered-source.ts';
import { PoisonEventError } from '../../../../../shared/events/decode.ts';
import { streamsFor } from '../../../../../shared/events/streams.ts';

const streams = streamsFor(shop, '');

/** An order_placed of `orderId` as the reader hands it on, at `sequence` of ORDERS. */
function placed(orderId: string, sequence: number): RawMessage {
  const envelope = {
    specversion: '1.0',
    id: `e-${orderId}`,
    source: '/test',
    type: 'orders.order_placed.v1',
    subject: orderId,
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: { orderId, customerId: 'c1', lines: [{ productId: 'p1', quantity: 1, unitPriceCents: 100 }] },
  };
  return {
    stream: 'ORDERS',
    sequence,
    subject: streams.subjectOf('orders.order_placed.v1', orderId),
    payload: new TextEncoder().encode(JSON.stringify(envelope)),
    pending: 0,
    receivedAt: 0,
  };
}

/** A memo that two runners (two partitions) read ORDERS and PAYMENTS through. */
function shared(kept?: number): DecodeMemo {
  const memo = new DecodeMemo(kept);
  memo.join(['ORDERS', 'PAYMENTS']);
  memo.join(['ORDERS', 'PAYMENTS']);
  return memo;
}

describe('DecodeMemo', () => {
  it('decodes a position once for every runner that reads it', () => {
    const memo = shared();
    const first = memo.decode(placed('o1', 1), shop, streams);
    expect(first).toMatchObject({ type: 'orders.order_placed.v1', stream: 'ORDERS', sequence: 1 });
    // Another runner (another partition) reading the same message gets the same event.
    expect(memo.decode(placed('o1', 1), shop, streams)).toBe(first);
  });

  it('decodes again a reused position that holds another message (a broker that lost its tail)', () => {
    const memo = shared();
    const before = memo.decode(placed('o1', 1), shop, streams);
    const after = memo.decode(placed('o22', 1), shop, streams);
    expect(after).not.toBe(before);
    expect((after.data as { orderId: string }).orderId).toBe('o22');
  });

  it('throws the poison of a message that does not decode, each time it is asked', () => {
    const memo = shared();
    const bad = { ...placed('o1', 2), payload: new TextEncoder().encode('{not json') };
    expect(() => memo.decode(bad, shop, streams)).toThrow(PoisonEventError);
    expect(() => memo.decode(bad, shop, streams)).toThrow(PoisonEventError);
  });

  it('keeps a bounded number of decodings, forgetting the oldest first', () => {
    const memo = shared(2);
    const one = memo.decode(placed('o1', 1), shop, streams);
    memo.decode(placed('o2', 2), shop, streams);
    memo.decode(placed('o3', 3), shop, streams);
    expect(memo.decode(placed('o1', 1), shop, streams)).not.toBe(one);
  });

  it('forgets by age of decoding: a reused position decoded anew outlives its older decoding', () => {
    const memo = shared(2);
    memo.decode(placed('o1', 1), shop, streams);
    const reused = memo.decode(placed('o22', 1), shop, streams);
    // The oldest decoding (o1 at 1) goes; the newer one at the same position stays.
    memo.decode(placed('o3', 2), shop, streams);
    expect(memo.decode(placed('o22', 1), shop, streams)).toBe(reused);
  });

  it('keeps the decodings of each stream apart', () => {
    const memo = shared();
    const orders = memo.decode(placed('o1', 1), shop, streams);
    const other = { ...placed('o1', 1), stream: 'PAYMENTS' };
    // Same sequence, subject and size on another stream: decoded for that stream, not reused.
    expect(() => memo.decode(other, shop, streams)).toThrow(PoisonEventError);
    expect(memo.decode(placed('o1', 1), shop, streams)).toBe(orders);
  });

  it('remembers nothing of a stream that one runner reads, and forgets once only one reads it', () => {
    const memo = new DecodeMemo();
    const first = memo.join(['ORDERS']);
    expect(memo.decode(placed('o1', 1), shop, streams)).not.toBe(memo.decode(placed('o1', 1), shop, streams));
    const second = memo.join(['ORDERS']);
    const event = memo.decode(placed('o1', 1), shop, streams);
    expect(memo.decode(placed('o1', 1), shop, streams)).toBe(event);
    second.leave();
    second.leave(); // counts once: the first runner still reads, and the next makes two again
    const third = memo.join(['ORDERS']);
    const again = memo.decode(placed('o1', 1), shop, streams);
    expect(again).not.toBe(event);
    expect(memo.decode(placed('o1', 1), shop, streams)).toBe(again);
    third.leave();
    first.leave();
  });
});
