import { describe, expect, it } from 'vitest';
import { Batcher, MAX_STRETCH } from '../../../../../projectors/engine/source/batcher.ts';

const limits = { maxSize: 3, maxBytes: 1_000_000, idleMs: 20, maxWaitMs: 200 };
const roomy = { items: 10, bytes: 1_000_000 };
/** Items are their own size in bytes. */
const size = (n: number) => n;

describe('Batcher', () => {
  it('hands over a full batch at once', async () => {
    const batcher = new Batcher<number>(roomy, limits, size);
    for (const n of [1, 2, 3, 4]) await batcher.push(n);
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1, 2, 3]);
  });

  it('hands over a partial batch once the stream is idle', async () => {
    const batcher = new Batcher<number>(roomy, limits, size);
    await batcher.push(1);
    const started = Date.now();
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(limits.idleMs - 2);
  });

  it('caps the wait of a steady trickle at maxWaitMs', async () => {
    const batcher = new Batcher<number>(
      { items: 100, bytes: 1_000_000 },
      { maxSize: 1000, maxBytes: 1_000_000, idleMs: 30, maxWaitMs: 60 },
      size,
    );
    const trickle = setInterval(() => void batcher.push(0), 5);
    await batcher.push(0);
    const started = Date.now();
    const batch = await batcher.nextBatch(new AbortController().signal);
    clearInterval(trickle);
    expect(batch.length).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("counts maxWaitMs from the oldest item's arrival: items queued while the consumer was busy go at once", async () => {
    // A steady trickle never leaves the stream idle; only the age of the batch ends the wait.
    const batcher = new Batcher<number>(
      { items: 100, bytes: 1_000_000 },
      { maxSize: 1000, maxBytes: 1_000_000, idleMs: 60_000, maxWaitMs: 1000 },
      size,
    );
    await batcher.push(1);
    // The consumer commits the previous batch for longer than maxWaitMs.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const asked = performance.now();
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1]);
    // Counted from the call, it would wait another second.
    expect(performance.now() - asked).toBeLessThan(500);
  });

  it("counts idleMs from the newest item's arrival, not from the call", async () => {
    const batcher = new Batcher<number>(
      { items: 100, bytes: 1_000_000 },
      { maxSize: 1000, maxBytes: 1_000_000, idleMs: 1000, maxWaitMs: 60_000 },
      size,
    );
    await batcher.push(1);
    await batcher.push(2);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const asked = performance.now();
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1, 2]);
    expect(performance.now() - asked).toBeLessThan(500);
  });

  it('keeps a partial batch open while items keep arriving within idleMs', async () => {
    const batcher = new Batcher<number>(
      { items: 100, bytes: 1_000_000 },
      { maxSize: 1000, maxBytes: 1_000_000, idleMs: 300, maxWaitMs: 60_000 },
      size,
    );
    await batcher.push(1);
    const asked = performance.now();
    const batch = batcher.nextBatch(new AbortController().signal);
    // A second item before the first's idle time is up: the batch waits for the second's.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await batcher.push(2);
    expect(await batch).toEqual([1, 2]);
    expect(performance.now() - asked).toBeGreaterThanOrEqual(150 + 300 - 5);
  });

  it('wakes a consumer waiting out a partial batch as soon as the batch is full', async () => {
    const batcher = new Batcher<number>(roomy, { ...limits, idleMs: 60_000, maxWaitMs: 60_000 }, size);
    await batcher.push(1);
    const asked = performance.now();
    const batch = batcher.nextBatch(new AbortController().signal);
    await batcher.push(2);
    await batcher.push(3);
    expect(await batch).toEqual([1, 2, 3]);
    expect(performance.now() - asked).toBeLessThan(5000);
  });

  it('hands over a partial batch at once when its producers say nothing more is coming', async () => {
    let drained = false;
    const batcher = new Batcher<number>(
      roomy,
      { ...limits, idleMs: 60_000, maxWaitMs: 60_000 },
      size,
      () => drained,
    );
    await batcher.push(1);
    const asked = performance.now();
    const batch = batcher.nextBatch(new AbortController().signal);
    // The first item's producer knows more follow: the batch waits for them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    drained = true;
    await batcher.push(2);
    expect(await batch).toEqual([1, 2]);
    expect(performance.now() - asked).toBeLessThan(5000);
    // Queued while the producers are drained: no wait at all.
    await batcher.push(3);
    const again = performance.now();
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([3]);
    expect(performance.now() - again).toBeLessThan(5000);
  });

  it('lingers a partial batch for lingerMs even when nothing more is coming, at most maxWaitMs', async () => {
    const batcher = new Batcher<number>(
      roomy,
      { ...limits, idleMs: 0, maxWaitMs: 60_000, lingerMs: 300 },
      size,
      () => true,
    );
    await batcher.push(1);
    const asked = performance.now();
    const batch = batcher.nextBatch(new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await batcher.push(2);
    expect(await batch).toEqual([1, 2]);
    expect(performance.now() - asked).toBeGreaterThanOrEqual(300 - 5);

    const capped = new Batcher<number>(
      roomy,
      { ...limits, idleMs: 0, maxWaitMs: 50, lingerMs: 60_000 },
      size,
      () => true,
    );
    await capped.push(1);
    const started = performance.now();
    expect(await capped.nextBatch(new AbortController().signal)).toEqual([1]);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('makes producers wait while the queue is full', async () => {
    const batcher = new Batcher<number>({ items: 2, bytes: 1_000_000 }, limits, size);
    await batcher.push(1);
    await batcher.push(2);
    let third = false;
    const pushing = batcher.push(3).then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1, 2]);
    await pushing;
    expect(third).toBe(true);
  });

  it('takes an offered item while there is room, and refuses it once the queue is full', async () => {
    const batcher = new Batcher<number>({ items: 2, bytes: 1_000_000 }, limits, size);
    expect(batcher.offer(1)).toBe(true);
    expect(batcher.offer(2)).toBe(true);
    expect(batcher.offer(3)).toBe(false);
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1, 2]);
    expect(batcher.offer(4)).toBe(true);
    expect(batcher.size).toBe(1);
  });

  it('cuts a batch by bytes: at most maxBytes, handed over at once', async () => {
    const batcher = new Batcher<number>(
      roomy,
      { maxSize: 1000, maxBytes: 100, idleMs: 10_000, maxWaitMs: 10_000 },
      size,
    );
    for (const n of [40, 40, 40, 10]) await batcher.push(n);
    const started = Date.now();
    // 120 bytes queued hold a full batch by bytes: no idle wait, and the third item waits.
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([40, 40]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(batcher.queuedBytes).toBe(50);
  });

  it('hands over an item larger than maxBytes alone', async () => {
    const batcher = new Batcher<number>(
      roomy,
      { maxSize: 1000, maxBytes: 100, idleMs: 10_000, maxWaitMs: 10_000 },
      size,
    );
    for (const n of [500, 1, 2]) await batcher.push(n);
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([500]);
  });

  it('makes producers wait while the queue holds its capacity in bytes, and always takes one item', async () => {
    const batcher = new Batcher<number>({ items: 100, bytes: 100 }, limits, size);
    // Larger than the whole capacity: it gets in alone, or a large event could never pass.
    await batcher.push(150);
    let second = false;
    const pushing = batcher.push(1).then(() => {
      second = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBe(false);
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([150]);
    await pushing;
    expect(second).toBe(true);
    expect(batcher.queuedBytes).toBe(1);
  });

  it('forgets the queued bytes when cleared', async () => {
    const batcher = new Batcher<number>(roomy, limits, size);
    await batcher.push(70);
    batcher.clear();
    expect(batcher.queuedBytes).toBe(0);
    expect(batcher.size).toBe(0);
  });

  it('surfaces a source failure to the consumer', async () => {
    const batcher = new Batcher<number>(roomy, limits, size);
    batcher.fail(new Error('stream gone'));
    await expect(batcher.nextBatch(new AbortController().signal)).rejects.toThrow('stream gone');
  });

  it('returns an empty batch when aborted while waiting', async () => {
    const batcher = new Batcher<number>(roomy, limits, size);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    expect(await batcher.nextBatch(controller.signal)).toEqual([]);
  });

  describe('stretched by what the consumer passes over', () => {
    const wide = { maxSize: 100, maxBytes: 1_000_000, idleMs: 10_000, maxWaitMs: 10_000 };
    const full = async (batcher: Batcher<number>, items: number) => {
      for (let i = 0; i < items; i++) await batcher.push(1);
      return batcher.nextBatch(new AbortController().signal);
    };

    it('holds about maxSize used items per batch when the consumer uses a share of them', async () => {
      const batcher = new Batcher<number>({ items: 400, bytes: 1_000_000 }, wide, size);
      expect((await full(batcher, 100)).length).toBe(100);
      batcher.noteUsed(100, 50);
      // Half of what it reads is used: a batch of 200 items holds about 100 it uses.
      expect(batcher.batchSize).toBe(200);
      expect((await full(batcher, 200)).length).toBe(200);
      // The queue holds as many batches as before: 800 items, not 400.
      for (let i = 0; i < 800; i++) expect(batcher.offer(1)).toBe(true);
      expect(batcher.offer(1)).toBe(false);
    });

    it(`stretches at most ${MAX_STRETCH} times, however little is used`, () => {
      const batcher = new Batcher<number>(roomy, wide, size);
      batcher.noteUsed(100, 0);
      batcher.noteUsed(400, 0);
      expect(batcher.batchSize).toBe(100 * MAX_STRETCH);
    });

    it('shrinks back within a few batches once everything is used again, and never below maxSize', () => {
      const batcher = new Batcher<number>(roomy, wide, size);
      batcher.noteUsed(100, 10);
      expect(batcher.batchSize).toBe(100 * MAX_STRETCH);
      for (let i = 0; i < 6; i++) batcher.noteUsed(100, 100);
      expect(batcher.batchSize).toBeLessThan(105);
      expect(batcher.batchSize).toBeGreaterThanOrEqual(100);
      batcher.noteUsed(100, 100);
      expect(batcher.batchSize).toBeGreaterThanOrEqual(100);
    });

    it('still cuts a stretched batch by bytes', async () => {
      const batcher = new Batcher<number>(
        { items: 1000, bytes: 1_000_000 },
        { ...wide, maxBytes: 150 },
        size,
      );
      batcher.noteUsed(100, 25);
      expect(batcher.batchSize).toBe(400);
      // 300 items of one byte: more than maxBytes, though fewer than the stretched batch.
      expect((await full(batcher, 300)).length).toBe(150);
    });
  });
});
