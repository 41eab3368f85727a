import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import { DecodeMemo, type MemoReading } from '../../../../../projectors/engine/pipeline/decode-memo.ts';
import { PoisonEventError } from '../../../../../shared/events/decode.ts';
import { rawPlaced as placed, shopStreams as streams } from '../../../../support/shop/raw-messages.ts';

/** Two runners (two partitions) reading ORDERS and PAYMENTS through one memo, both from the start. */
function shared(kept?: number): [MemoReading, MemoReading] {
  const memo = new DecodeMemo(kept);
  return [memo.join(['ORDERS', 'PAYMENTS']), memo.join(['ORDERS', 'PAYMENTS'])];
}

describe('DecodeMemo', () => {
  it('decodes a position once for every runner that reads it', () => {
    const [one, other] = shared();
    const first = one.decode(placed('o1', 1), shop, streams);
    expect(first).toMatchObject({ type: 'orders.order_placed.v1', stream: 'ORDERS', sequence: 1 });
    // Another runner (another partition) reading the same message gets the same event.
    expect(other.decode(placed('o1', 1), shop, streams)).toBe(first);
  });

  it('decodes again a reused position that holds another message (a broker that lost its tail)', () => {
    const [one] = shared();
    const before = one.decode(placed('o1', 1), shop, streams);
    const after = one.decode(placed('o22', 1), shop, streams);
    expect(after).not.toBe(before);
    expect((after.data as { orderId: string }).orderId).toBe('o22');
  });

  it('throws the poison of a message that does not decode, each time it is asked', () => {
    const [one, other] = shared();
    const bad = { ...placed('o1', 2), payload: new TextEncoder().encode('{not json') };
    expect(() => one.decode(bad, shop, streams)).toThrow(PoisonEventError);
    expect(() => other.decode(bad, shop, streams)).toThrow(PoisonEventError);
  });

  it('keeps a bounded number of decodings, forgetting the oldest first', () => {
    const [one, other] = shared(2);
    const first = one.decode(placed('o1', 1), shop, streams);
    one.decode(placed('o2', 2), shop, streams);
    one.decode(placed('o3', 3), shop, streams);
    expect(other.decode(placed('o1', 1), shop, streams)).not.toBe(first);
  });

  it('forgets by age of decoding: a reused position decoded anew outlives its older decoding', () => {
    const [one, other] = shared(2);
    one.decode(placed('o1', 1), shop, streams);
    const reused = one.decode(placed('o22', 1), shop, streams);
    // The oldest decoding (o1 at 1) goes; the newer one at the same position stays.
    one.decode(placed('o3', 2), shop, streams);
    expect(other.decode(placed('o22', 1), shop, streams)).toBe(reused);
  });

  it('keeps the decodings of each stream apart', () => {
    const [one, other] = shared();
    const orders = one.decode(placed('o1', 1), shop, streams);
    const payments = { ...placed('o1', 1), stream: 'PAYMENTS' };
    // Same sequence, subject and size on another stream: decoded for that stream, not reused.
    expect(() => other.decode(payments, shop, streams)).toThrow(PoisonEventError);
    expect(other.decode(placed('o1', 1), shop, streams)).toBe(orders);
  });

  it('remembers nothing of a stream that one runner reads, and forgets once only one reads it', () => {
    const memo = new DecodeMemo();
    const first = memo.join(['ORDERS']);
    expect(first.decode(placed('o1', 1), shop, streams)).not.toBe(
      first.decode(placed('o1', 1), shop, streams),
    );
    const second = memo.join(['ORDERS']);
    const event = first.decode(placed('o1', 1), shop, streams);
    expect(second.decode(placed('o1', 1), shop, streams)).toBe(event);
    second.leave();
    second.leave(); // counts once: the first runner still reads, and the next makes two again
    const third = memo.join(['ORDERS']);
    const again = first.decode(placed('o1', 1), shop, streams);
    expect(again).not.toBe(event);
    expect(third.decode(placed('o1', 1), shop, streams)).toBe(again);
    third.leave();
    first.leave();
  });

  it('keeps nothing a runner decodes behind every other reader: a rebuild beside its live generation', () => {
    const memo = new DecodeMemo();
    const live = memo.join(['ORDERS'], { ORDERS: 100 });
    const rebuild = memo.join(['ORDERS']);
    const event = rebuild.decode(placed('o1', 1), shop, streams);
    // Nobody else will reach sequence 1: decoded again, not kept alive.
    expect(rebuild.decode(placed('o1', 1), shop, streams)).not.toBe(event);
    // What the live generation decodes at the head is kept for the rebuild, which will come to it.
    const head = live.decode(placed('o101', 101), shop, streams);
    expect(rebuild.decode(placed('o101', 101), shop, streams)).toBe(head);
    live.leave();
    rebuild.leave();
  });

  it('knows where a runner that read alone stands when another joins: a rebuild started later', () => {
    const memo = new DecodeMemo();
    const live = memo.join(['ORDERS']);
    for (let sequence = 1; sequence <= 5; sequence++)
      live.decode(placed(`o${sequence}`, sequence), shop, streams);
    const rebuild = memo.join(['ORDERS']);
    const three = rebuild.decode(placed('o3', 3), shop, streams);
    // The live generation passed 3 while it read alone: nobody else will ask for it.
    expect(rebuild.decode(placed('o3', 3), shop, streams)).not.toBe(three);
    live.leave();
    rebuild.leave();
  });

  it('keeps what a runner ahead decodes for one behind it, whichever joined first', () => {
    const memo = new DecodeMemo();
    const behind = memo.join(['ORDERS'], { ORDERS: 2 });
    const ahead = memo.join(['ORDERS'], { ORDERS: 5 });
    const six = ahead.decode(placed('o6', 6), shop, streams);
    const three = behind.decode(placed('o3', 3), shop, streams);
    expect(behind.decode(placed('o6', 6), shop, streams)).toBe(six);
    // The runner ahead has passed 3: it was not kept.
    expect(behind.decode(placed('o3', 3), shop, streams)).not.toBe(three);
  });
});
