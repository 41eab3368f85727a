import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LiveQuery, type LiveValue } from '../../../api/live-query.ts';

const log = pino({ level: 'silent' });
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

/** A store of values with a read that counts its calls and the keys it was asked for. */
function store(initial: Record<string, number>) {
  const values = new Map(Object.entries(initial));
  const down = { value: false };
  const reads: string[][] = [];
  const live = new LiveQuery<string, number | null>({
    name: 'test',
    log,
    read: async (keys) => {
      reads.push([...keys].sort());
      await tick();
      if (down.value) throw new Error('store down');
      if (keys.some((k) => k.includes('\u0000'))) throw new Error('invalid byte sequence');
      return new Map(keys.map((k) => [k, values.get(k) ?? null]));
    },
    positions: () => ({ view: { S: reads.length } }),
    transient: (error) => (error as Error).message === 'store down',
    refuse: (error) => new Error(`refused: ${(error as Error).message}`),
  });
  return { values, reads, live, down };
}

async function take<V>(iterator: AsyncIterator<LiveValue<V>>): Promise<V> {
  const next = await iterator.next();
  return (next.value as LiveValue<V>).value;
}

describe('LiveQuery: one shared reader for all subscribers', () => {
  it('sends each new subscriber the current value first', async () => {
    const { live } = store({ a: 1 });
    const a = live.subscribe('a');
    expect(await take(a)).toBe(1);
    await a.return?.();
  });

  it('re-reads all subscribed keys in one read per burst of invalidations', async () => {
    const { values, reads, live } = store({ a: 1, b: 2 });
    const subscribers = [live.subscribe('a'), live.subscribe('a'), live.subscribe('b')];
    await Promise.all(subscribers.map(take));
    const before = reads.length;
    values.set('a', 10);
    for (let i = 0; i < 50; i++) live.invalidate();
    expect(await take(subscribers[0] as AsyncIterator<LiveValue<number>>)).toBe(10);
    expect(await take(subscribers[1] as AsyncIterator<LiveValue<number>>)).toBe(10);
    await tick();
    // At most the read in flight plus one more, whatever the number of invalidations.
    expect(reads.length - before).toBeLessThanOrEqual(2);
    expect(reads.at(-1)).toEqual(['a', 'b']);
    await Promise.all(subscribers.map((s) => s.return?.()));
  });

  it('sends a subscriber only values that changed', async () => {
    const { values, live } = store({ a: 1 });
    const a = live.subscribe('a');
    expect(await take(a)).toBe(1);
    live.invalidate();
    const next = a.next();
    expect(
      await Promise.race([
        next,
        tick()
          .then(tick)
          .then(() => 'nothing sent'),
      ]),
    ).toBe('nothing sent');
    values.set('a', 2);
    live.invalidate();
    expect(((await next).value as LiveValue<number>).value).toBe(2);
    await a.return?.();
  });

  it('forgets a subscriber that returned, and reads nothing without subscribers', async () => {
    const { reads, live } = store({ a: 1 });
    const a = live.subscribe('a');
    await take(a);
    await a.return?.();
    expect(live.size).toBe(0);
    const before = reads.length;
    live.invalidate();
    await tick();
    expect(reads.length).toBe(before);
  });

  it('carries the positions the value was read at', async () => {
    const { live } = store({ a: 1 });
    const a = live.subscribe('a');
    const first = await a.next();
    expect(first.value).toEqual({ value: 1, positions: { view: { S: 0 } } });
    await a.return?.();
  });

  it('ends only the subscriber whose key cannot be read; the others keep receiving', async () => {
    const { values, live } = store({ a: 1, b: 2, c: 3 });
    const good = [live.subscribe('a'), live.subscribe('b'), live.subscribe('c')];
    expect(await Promise.all(good.map(take))).toEqual([1, 2, 3]);
    const bad = live.subscribe('a\u0000b');
    await expect(bad.next()).rejects.toThrow('refused: invalid byte sequence');
    values.set('b', 20);
    live.invalidate();
    expect(await take(good[1] as AsyncIterator<LiveValue<number>>)).toBe(20);
    expect(live.size).toBe(3);
    await Promise.all(good.map((s) => s.return?.()));
  });

  it('retries the whole read while the store itself fails, ending nobody', async () => {
    const { values, live, down, reads } = store({ a: 1, b: 2 });
    const subscribers = [live.subscribe('a'), live.subscribe('b')];
    await Promise.all(subscribers.map(take));
    down.value = true;
    values.set('a', 10);
    const before = reads.length;
    live.invalidate();
    const next = take(subscribers[0] as AsyncIterator<LiveValue<number>>);
    while (reads.length === before) await tick();
    // No halving: a store failure reads all keys again, once, later.
    expect(reads.at(-1)).toEqual(['a', 'b']);
    down.value = false;
    expect(await next).toBe(10);
    expect(live.size).toBe(2);
    await Promise.all(subscribers.map((s) => s.return?.()));
  });
});
