import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import { defineDocumentProjection } from '../../../../../projectors/engine/definition/define.ts';
import { foldBatch, type Stored } from '../../../../../projectors/engine/pipeline/fold.ts';
import { postgresTable } from '../../../../../projectors/engine/stores/postgres/target.ts';
import type { AnyEvent } from '../../../../../shared/events/event-type.ts';
import { event } from '../../../../support/shop/events.ts';

interface Counter {
  total: number;
}

const counter = defineDocumentProjection(shop, {
  name: 'counter',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.stock_adjusted.v1'],
  key: (e) => e.data.productId,
  evolve: (doc: Counter | null, e): Counter => {
    if (e.data.reason === 'explode') throw new Error('cannot fold this');
    return { total: (doc?.total ?? 0) + e.data.delta };
  },
  target: postgresTable<Counter>({ columns: { total: 'bigint' } }),
});
const erased = counter as unknown as Parameters<typeof foldBatch<Counter, never>>[0];

const adjust = (sequence: number, delta: number, reason = 'restock'): AnyEvent =>
  event('catalog.stock_adjusted.v1', { productId: 'p1', delta, reason }, { sequence }) as AnyEvent;

const fold = (events: AnyEvent[], docs = new Map<string, Stored<Counter>>()) =>
  foldBatch(erased, events, { docs, lookups: new Map() });

describe('foldBatch', () => {
  it('records the positions each document absorbed', () => {
    const { docs } = fold([adjust(1, 5), adjust(2, 3)]);
    expect(docs.get('p1')).toEqual({ doc: { total: 8 }, positions: { CATALOG: 2 } });
  });

  it('skips events a document already absorbed, so replaying a range changes nothing', () => {
    const first = fold([adjust(1, 5), adjust(2, 3)]);
    const replayed = fold([adjust(1, 5), adjust(2, 3), adjust(3, 1)], first.docs);
    expect(replayed.docs.get('p1')).toEqual({ doc: { total: 9 }, positions: { CATALOG: 3 } });
  });

  it('reports a throwing event as a failure and leaves its document as it was', () => {
    const { docs, failures } = fold([adjust(1, 5), adjust(2, 100, 'explode'), adjust(3, 1)]);
    expect(failures.map((f) => [f.event.sequence, f.error.message])).toEqual([[2, 'cannot fold this']]);
    expect(docs.get('p1')?.doc).toEqual({ total: 6 });
  });
});
