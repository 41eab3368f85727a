import { describe, expect, it } from 'vitest';
import { shop } from '../../../../../examples/shop/contract.ts';
import {
  defineDocumentProjection,
  elasticsearchIndex,
  postgresTable,
} from '../../../../../projectors/engine/internal.ts';
import { foldDocuments } from '../../../../../projectors/engine/testing/spec.ts';
import type { AnyEvent } from '../../../../../shared/events/event-type.ts';
import { event } from '../../../../support/shop/events.ts';

const price = (sequence: number, productId: string, priceCents: number): AnyEvent =>
  event('catalog.price_changed.v1', { productId, priceCents }, { sequence }) as AnyEvent;

/** A view whose integer column cannot hold every price the contract accepts. */
const prices = defineDocumentProjection(shop, {
  name: 'prices',
  version: 1,
  sources: [{ stream: 'CATALOG' }],
  handles: ['catalog.price_changed.v1'],
  key: (e) => e.data.productId,
  evolve: (_doc: { price: number } | null, e) => ({ price: e.data.priceCents }),
  target: postgresTable<{ price: number }>({ columns: { price: 'integer' } }),
});

describe('foldDocuments, as the engine folds', () => {
  it("fails on a state the view's table would refuse, even when a later event of the batch replaces it", () => {
    const events = [price(1, 'p1', 3_000_000_000), price(2, 'p1', 100)];
    for (const batches of [[events], events.map((e) => [e])]) {
      expect(() => foldDocuments(prices, batches)).toThrow(
        'events failed to fold: document p1 cannot be stored in prices: price: 3000000000 is outside integer (−2^31 to 2^31 − 1)',
      );
    }
    expect(foldDocuments(prices, [[price(1, 'p1', 100)]])).toEqual({ p1: { price: 100 } });
  });

  it("fails on a document the index's mapping would refuse", () => {
    const bytes = defineDocumentProjection(shop, {
      name: 'stock_bytes',
      version: 1,
      sources: [{ stream: 'CATALOG' }],
      handles: ['catalog.stock_adjusted.v1'],
      key: (e) => e.data.productId,
      evolve: (doc: { stock: number } | null, e) => ({ stock: (doc?.stock ?? 0) + e.data.delta }),
      target: elasticsearchIndex({ properties: { stock: { type: 'byte' } } }),
    });
    const adjust = (sequence: number, delta: number) =>
      event(
        'catalog.stock_adjusted.v1',
        { productId: 'p1', delta, reason: 'count' },
        { sequence },
      ) as AnyEvent;
    expect(() => foldDocuments(bytes, [[adjust(1, 100), adjust(2, 100), adjust(3, -150)]])).toThrow(
      'events failed to fold: Elasticsearch would refuse document p1: stock (byte) is out of range: 200',
    );
    expect(foldDocuments(bytes, [[adjust(1, 100), adjust(2, -150)]])).toEqual({ p1: { stock: -50 } });
  });
});
