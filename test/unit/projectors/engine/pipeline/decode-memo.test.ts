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

/** A memo with two runners reading ORDERS, as a process owning two partitions of orders has. */
function sharedMemo(kept?: number): DecodeMemo {
  const memo = new DecodeMemo(kept);
  memo.join(['ORDERS', 'PAYMENTS']);
  memo.join(['ORDERS']);
  return memo;
}

describe('DecodeMemo', () => {
  it('decodes a position once for every runner that reads it', () => {
    const memo = sharedMemo();
    const first = memo.decode(placed('o1', 1), shop, streams);
    expect(first).toMatchObject({ type: 'orders.order_placed.v1', stream: 'ORDERS', sequence: 1 });
    // Another runner (another partition) reading the same message gets the same event.
    expect(memo.decode(placed('o1', 1), shop, streams)).toBe(first);
  });

  it('decodes again a reused position that holds another message (a broker that lost its tail)', () => {
    const memo = sharedMemo();
    const before = memo.decode(placed('o1', 1), shop, streams);
    const after = memo.decode(placed('o22', 1), shop, streams);
    expect(after).not.toBe(before);
    expect((after.data as { orderId: string }).orderId).toBe('o22');
  });

  it('throws the poison of a message that does not decode, each time it is asked', () => {
    const memo = sharedMemo();
    const bad = { ...placed('o1', 2), payload: new TextEncoder().encode('{not json') };
    expect(() => memo.decode(bad, shop, streams)).toThrow(PoisonEventError);
    expect(() => memo.decode(bad, shop, streams)).toThrow(PoisonEventError);
  });

  it('keeps a bounded number of decodings, forgetting the oldest first', () => {
    const memo = sharedMemo(2);
    const one = memo.decode(placed('o1', 1), shop, streams);
    memo.decode(placed('o2', 2), shop, streams);
    memo.decode(placed('o3', 3), shop, streams);
    expect(memo.decode(placed('o1', 1), shop, streams)).not.toBe(one);
  });

  it('keeps nothing of a stream one runner reads alone, and shares again once a second one joins', () => {
    const memo = new DecodeMemo();
    const leave = memo.join(['ORDERS', 'PAYMENTS']);
    expect(memo.decode(placed('o1', 1), shop, streams)).not.toBe(memo.decode(placed('o1', 1), shop, streams));
    const leaveToo = memo.join(['ORDERS']);
    const shared = memo.decode(placed('o1', 1), shop, streams);
    expect(memo.decode(placed('o1', 1), shop, streams)).toBe(shared);
    leaveToo();
    leaveToo(); // leaving twice counts once
    expect(memo.decode(placed('o1', 1), shop, streams)).not.toBe(shared);
    leave();
  });
});
