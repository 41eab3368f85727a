import { describe, expect, it } from 'vitest';
import { FilteredSources } from '../../../api/filtered-sources.ts';
import { shop } from '../../../examples/shop/contract.ts';
import { defineDocumentProjection, postgresTable } from '../../../projectors/engine/internal.ts';
import { streamsFor } from '../../../shared/events/streams.ts';

const view = defineDocumentProjection(shop, {
  name: 'shipments',
  version: 1,
  sources: [{ stream: 'ORDERS', filter: 'orders.order_shipped.>' }, { stream: 'PAYMENTS' }],
  handles: ['orders.order_shipped.v1', 'payments.payment_captured.v1'],
  key: (event) => event.data.orderId,
  evolve: () => ({ n: 1 }),
  target: postgresTable<{ n: number }>({ columns: { n: 'integer' } }),
});

/** A stream whose matching sequences are `matching`, answering each question when told to. */
function stream(matching: number[]) {
  const asked: { subjects: string; from: number }[] = [];
  const answers: (() => void)[] = [];
  let clock = 0;
  const sources = new FilteredSources(
    [view],
    streamsFor(shop, ''),
    (_stream, subjects, from) => {
      asked.push({ subjects, from });
      return new Promise((resolve) => answers.push(() => resolve(matching.find((s) => s >= from))));
    },
    () => clock,
  );
  return {
    sources,
    asked,
    answerAll: async () => {
      for (const answer of answers.splice(0)) answer();
      await new Promise((resolve) => setImmediate(resolve));
    },
    tick: () => ++clock,
    matching,
  };
}

describe('FilteredSources', () => {
  it('counts the sequences a filter leaves out as reached, once the stream says none matches before the required one', async () => {
    const s = stream([3, 9]);
    let woken = 0;
    const wake = () => woken++;
    // At 3, wanting 7: the next match after 3 is 9, beyond 7.
    expect(s.sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 7 }, 0, wake)).toBe(false);
    expect(s.asked).toEqual([{ subjects: 'orders.order_shipped.>', from: 4 }]);
    await s.answerAll();
    expect(woken).toBe(1);
    expect(s.sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 7 }, 0, wake)).toBe(true);
    // Wanting 9 (or more): the match at 9 must be absorbed first.
    expect(s.sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 9 }, 0, wake)).toBe(false);
    expect(s.asked).toHaveLength(1);
  });

  it('asks again for a wait that began after an answer of none: a later event may match', async () => {
    const s = stream([]);
    const wake = () => undefined;
    expect(s.sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 5 }, s.tick(), wake)).toBe(false);
    await s.answerAll();
    expect(s.sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 5 }, 1, wake)).toBe(true);
    // A wait that began after the question was asked: events published since are not covered by it.
    s.matching.push(6);
    expect(s.sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 8 }, s.tick(), wake)).toBe(false);
    expect(s.asked).toHaveLength(2);
    await s.answerAll();
    expect(s.sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 8 }, 2, wake)).toBe(false);
  });

  it('does not wake a wait when the stream cannot be asked, and asks again at the next look', async () => {
    let asked = 0;
    const sources = new FilteredSources(
      [view],
      streamsFor(shop, ''),
      async () => {
        asked++;
        throw new Error('NATS not reached yet');
      },
      () => 0,
    );
    let woken = 0;
    expect(sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 5 }, 0, () => woken++)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken).toBe(0);
    expect(asked).toBe(1);
    expect(sources.covers('shipments', { ORDERS: 3 }, { ORDERS: 5 }, 0, () => woken++)).toBe(false);
    expect(asked).toBe(2);
  });

  it('asks nothing for a stream read without a filter, or one not read at all', () => {
    const s = stream([]);
    const wake = () => undefined;
    expect(s.sources.covers('shipments', { ORDERS: 3, PAYMENTS: 2 }, { PAYMENTS: 4 }, 0, wake)).toBe(false);
    expect(
      s.sources.covers('shipments', { ORDERS: 3, PAYMENTS: 4 }, { PAYMENTS: 4, CATALOG: 9 }, 0, wake),
    ).toBe(true);
    expect(s.sources.covers('shipments', undefined, { PAYMENTS: 1 }, 0, wake)).toBe(false);
    expect(s.asked).toHaveLength(0);
  });
});
