import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import { type Decoding, decodeBatch } from '../../../../../projectors/engine/pipeline/decode.ts';
import { TimeSlices } from '../../../../../projectors/engine/support/event-loop.ts';
import { rawPlaced, shopStreams } from '../../../../support/shop/raw-messages.ts';

const decoding: Decoding = {
  contract: shop,
  streams: shopStreams,
  handles: new Set(['orders.order_placed.v1']),
  skipped: new Set(),
};
const batch = Array.from({ length: 50 }, (_, i) => rawPlaced(`o${i}`, i + 1));

/** What ran first: decoding `batch`, or a callback the event loop had pending when it began. */
async function firstToFinish(slices?: TimeSlices): Promise<string[]> {
  const order: string[] = [];
  setImmediate(() => order.push('pending callback'));
  const decoded = await decodeBatch(batch, decoding, slices);
  order.push(`decoded ${decoded.events.length}`);
  await new Promise((resolve) => setImmediate(resolve));
  return order;
}

/** Slices that count the turns they gave. */
class CountedSlices extends TimeSlices {
  pauses = 0;
  override pause(): Promise<void> {
    this.pauses++;
    return super.pause();
  }
}

describe('decodeBatch', () => {
  it('gives the event loop a turn when a slice is due, so a commit in flight can take its answers', async () => {
    const slices = new CountedSlices(0);
    expect(await firstToFinish(slices)).toEqual(['pending callback', 'decoded 50']);
    // Between messages, not only once the batch is decoded.
    expect(slices.pauses).toBeGreaterThanOrEqual(batch.length);
  });

  it('gives a turn due after the last message before returning: the fold that follows is one block too', async () => {
    const slices = new CountedSlices(60_000);
    let asked = 0;
    // Due only once every message is decoded.
    slices.due = () => ++asked > batch.length;
    expect(await firstToFinish(slices)).toEqual(['pending callback', 'decoded 50']);
    expect(slices.pauses).toBe(1);
  });

  it('holds the thread while its slice lasts, and without slices', async () => {
    expect(await firstToFinish(new TimeSlices(60_000))).toEqual(['decoded 50', 'pending callback']);
    expect(await firstToFinish()).toEqual(['decoded 50', 'pending callback']);
  });

  it('decodes every message once whatever the slices', async () => {
    const sliced = await decodeBatch(batch, decoding, new TimeSlices(0));
    const whole = await decodeBatch(batch, decoding);
    expect(sliced.events.map((e) => e.sequence)).toEqual(whole.events.map((e) => e.sequence));
    expect(sliced.events.map((e) => e.sequence)).toEqual(batch.map((raw) => raw.sequence));
  });
});
