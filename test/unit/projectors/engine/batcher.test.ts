import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../../projectors/engine/batcher.ts';

const limits = { maxSize: 3, idleMs: 20, maxWaitMs: 200 };

describe('Batcher', () => {
  it('hands over a full batch at once', async () => {
    const batcher = new Batcher<number>(10, limits);
    for (const n of [1, 2, 3, 4]) await batcher.push(n);
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1, 2, 3]);
  });

  it('hands over a partial batch once the stream is idle', async () => {
    const batcher = new Batcher<number>(10, limits);
    await batcher.push(1);
    const started = Date.now();
    expect(await batcher.nextBatch(new AbortController().signal)).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(limits.idleMs - 2);
  });

  it('caps the wait of a steady trickle at maxWaitMs', async () => {
    const batcher = new Batcher<number>(100, { maxSize: 1000, idleMs: 30, maxWaitMs: 60 });
    const trickle = setInterval(() => void batcher.push(0), 5);
    await batcher.push(0);
    const started = Date.now();
    const batch = await batcher.nextBatch(new AbortController().signal);
    clearInterval(trickle);
    expect(batch.length).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('makes producers wait while the queue is full', async () => {
    const batcher = new Batcher<number>(2, limits);
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

  it('surfaces a source failure to the consumer', async () => {
    const batcher = new Batcher<number>(10, limits);
    batcher.fail(new Error('stream gone'));
    await expect(batcher.nextBatch(new AbortController().signal)).rejects.toThrow('stream gone');
  });

  it('returns an empty batch when aborted while waiting', async () => {
    const batcher = new Batcher<number>(10, limits);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    expect(await batcher.nextBatch(controller.signal)).toEqual([]);
  });
});
