import { describe, expect, it } from 'vitest';
import { products } from '../../../../../examples/shop/views/products.ts';
import { spec } from '../../../../support/given-when-then.ts';
import {
  mergesOf,
  orderCancelled,
  orderPlaced,
  priceChanged,
  productAdded,
  productUpdated,
  type ShopEvent,
  stockAdjusted,
} from '../../../../support/shop/events.ts';

const twoLines = [
  { productId: 'p1', quantity: 2, unitPriceCents: 1000 },
  { productId: 'p2', quantity: 1, unitPriceCents: 500 },
  { productId: 'p1', quantity: 1, unitPriceCents: 1000 },
];

describe('products view', () => {
  it('a product has its catalog fields, latest price and updated name', () => {
    const docs = spec(products)
      .given(
        productAdded('p1', 1000),
        priceChanged('p1', 1200),
        productUpdated('p1', { name: 'Loud Kettle' }),
      )
      .documents();
    expect(docs.p1).toMatchObject({
      added: true,
      sku: 'SKU-p1',
      name: 'Loud Kettle',
      priceCents: 1200,
      tags: [],
    });
  });

  it('stock is adjustments minus placed quantities; unitsSold sums a product over all its lines', () => {
    const docs = spec(products)
      .given(
        productAdded('p1'),
        productAdded('p2'),
        stockAdjusted('p1', 10),
        orderPlaced('o1', 'c1', twoLines),
      )
      .documents();
    expect(docs.p1).toMatchObject({ stock: 7, unitsSold: 3 });
    expect(docs.p2).toMatchObject({ stock: -1, unitsSold: 1 });
  });

  it('cancelling an order gives its quantities back, once, though the event does not list them', () => {
    const docs = spec(products)
      .given(
        productAdded('p1'),
        stockAdjusted('p1', 10),
        orderPlaced('o1', 'c1', twoLines),
        orderCancelled('o1'),
        orderCancelled('o1'),
      )
      .documents();
    expect(docs.p1).toMatchObject({ stock: 10, unitsSold: 0 });
  });

  it('an order before its product keeps the counts and hides the product until it is added', () => {
    const early = spec(products)
      .given(orderPlaced('o1', 'c1', twoLines))
      .documents();
    expect(early.p1).toMatchObject({ added: false, unitsSold: 3, stock: -3 });
  });

  it('gives the same documents for every interleaving of CATALOG and ORDERS', () => {
    const catalog: ShopEvent[] = [productAdded('p1'), stockAdjusted('p1', 5), priceChanged('p1', 900)];
    const ordersStream: ShopEvent[] = [
      orderPlaced('o1', 'c1', twoLines),
      orderCancelled('o1'),
      orderPlaced('o2', 'c2', twoLines),
    ];
    const results = mergesOf(catalog, ordersStream).map((events) =>
      spec(products)
        .given(...events)
        .documents(),
    );
    expect(results).toHaveLength(20);
    for (const result of results) expect(result).toEqual(results[0]);
  });
});
