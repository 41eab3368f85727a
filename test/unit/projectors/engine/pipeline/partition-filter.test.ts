import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import { orders } from '../../../../../examples/shop/views/orders.ts';
import { type Projection, partitionOf } from '../../../../../projectors/engine/internal.ts';
import { foreignMessages } from '../../../../../projectors/engine/pipeline/partition-filter.ts';
import type { RawMessage } from '../../../../../projectors/engine/source/ordered-source.ts';
import { streamsFor } from '../../../../../shared/events/streams.ts';

const streams = streamsFor(shop, 't1');
const raw = (stream: string, type: string, id: string, sequence: number): RawMessage => ({
  stream,
  sequence,
  subject: streams.subjectOf(type, id),
  payload: new Uint8Array(),
  pending: 0,
  receivedAt: 0,
});

describe('foreignMessages: what a partition passes over undecoded', () => {
  const partitioned = { ...orders, partitions: 3 } as unknown as Projection;
  const placed = Array.from({ length: 60 }, (_, i) =>
    raw('ORDERS', 'orders.order_placed.v1', `o-${i}`, i + 1),
  );

  it('passes over each ORDERS message in every partition but the one of its subject’s order', () => {
    const filters = [0, 1, 2].map((p) => foreignMessages(partitioned, p, streams));
    for (const [i, message] of placed.entries()) {
      const owners = filters.flatMap((foreign, p) => (foreign?.(message) ? [] : [p]));
      expect(owners).toEqual([partitionOf(`o-${i}`, 3)]);
    }
  });

  it('decodes every message of a source without keyIsAggregateId, and any subject it cannot read an id from', () => {
    const foreign = foreignMessages(partitioned, 0, streams);
    const payments = Array.from({ length: 20 }, (_, i) =>
      raw('PAYMENTS', 'payments.payment_captured.v1', `y-${i}`, i + 1),
    );
    expect(payments.filter((m) => foreign?.(m))).toEqual([]);
    const odd = { ...raw('ORDERS', 'orders.order_placed.v1', 'o-1', 1), subject: 't1.orders.elsewhere' };
    const unnamespaced = {
      ...raw('ORDERS', 'orders.order_placed.v1', 'o-1', 1),
      subject: 'orders.order_placed.o-1',
    };
    expect([odd, unnamespaced].filter((m) => foreign?.(m))).toEqual([]);
  });

  it('passes over nothing with one partition, or when no source declares keyIsAggregateId', () => {
    expect(foreignMessages(orders as unknown as Projection, 0, streams)).toBeUndefined();
    const undeclared = {
      ...partitioned,
      sources: [{ stream: 'ORDERS' }, { stream: 'PAYMENTS' }],
    } as Projection;
    expect(foreignMessages(undeclared, 0, streams)).toBeUndefined();
  });
});
