import { describe, expect, it } from 'vitest';
import { RequestStores, Slots } from '../../../api/request-stores.ts';

/** A pool whose queries answer when the test says, counting how many run at once. */
function fakePool(rowBytes: number) {
  let running = 0;
  let most = 0;
  let ran = 0;
  const pending: (() => void)[] = [];
  return {
    pool: {
      query: async <R>() => {
        running++;
        ran++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => pending.push(resolve));
        running--;
        return { rows: [{ value: 'x'.repeat(rowBytes) }] as R[] };
      },
    },
    answerOne: () => pending.shift()?.(),
    get most() {
      return most;
    },
    get ran() {
      return ran;
    },
  };
}
const noSearch = {
  search: () => Promise.reject(new Error('unused')),
  count: () => Promise.reject(new Error('unused')),
};
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("a request's share of the stores", () => {
  it('runs its reads one at a time, in order', async () => {
    const fake = fakePool(10);
    const stores = new RequestStores(fake.pool, noSearch, 1_000_000);
    const reads = Array.from({ length: 5 }, () => stores.pool.query('SELECT 1'));
    for (let i = 0; i < 5; i++) {
      await settle();
      fake.answerOne();
    }
    await Promise.all(reads);
    expect([fake.most, fake.ran]).toEqual([1, 5]);
  });

  it('stops reading once the budget is spent: the reads queued behind are never run', async () => {
    const fake = fakePool(600);
    const stores = new RequestStores(fake.pool, noSearch, 1000);
    const reads = Array.from({ length: 5 }, () =>
      stores.pool.query('SELECT 1').then(
        () => 'ok',
        (error: { extensions?: { code?: string } }) => error.extensions?.code,
      ),
    );
    for (let i = 0; i < 5; i++) {
      await settle();
      fake.answerOne();
    }
    // 600 bytes, then 1,200: the second passes the budget; the other three never reach the pool.
    expect(await Promise.all(reads)).toEqual([
      'ok',
      'RESPONSE_TOO_LARGE',
      'RESPONSE_TOO_LARGE',
      'RESPONSE_TOO_LARGE',
      'RESPONSE_TOO_LARGE',
    ]);
    expect(fake.ran).toBe(2);
    // A subscription's next event starts a budget of its own.
    stores.nextEvent();
    const again = stores.pool.query('SELECT 1');
    await settle();
    fake.answerOne();
    await expect(again).resolves.toBeDefined();
  });

  it('slots hand over in arrival order and a release counts once', async () => {
    const slots = new Slots(1);
    const order: number[] = [];
    const first = await slots.acquire();
    const waiting = [1, 2, 3].map((n) =>
      slots.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    first();
    first(); // a second call gives nothing back twice
    await settle();
    expect(order).toEqual([1]);
    for (const w of waiting) (await w)();
    expect(order).toEqual([1, 2, 3]);
  });
});
